package dev.electrode.bpf;

import jnr.ffi.Pointer;

import java.nio.ByteBuffer;

/**
 * The follower's "kernel log": the ring buffer into which XDP copies fast-acknowledged
 * Prepares. Records are drained in batches on the calling thread; each body is handed to
 * the consumer in a reused buffer, valid only during the call. XDP writes without waking
 * anyone (BPF_RB_NO_WAKEUP), so the ring is drained, never waited on.
 */
public final class PrepareRing implements AutoCloseable {
    /**
     * Receives one buffered Prepare: full view, last opnum and first opnum of the batch, the
     * sender XDP saw (IPv4 address in network order as an int, UDP port, MAC in the low 48 bits,
     * first byte highest), and the protobuf body.
     */
    @FunctionalInterface
    public interface Consumer {
        void accept(long view, long opnum, long batchStart, int srcIpv4, int srcPort, long srcMac, ByteBuffer body);
    }

    private final LibBpf lib = LibBpf.get();
    private final Pointer ring;
    // libbpf calls back into this object: keep the callback strongly reachable while the ring lives.
    private final LibBpf.RingBufferSample sample = this::onSample;
    private byte[] bodyBuf = new byte[2048];
    private final byte[] macBuf = new byte[6];
    private Consumer consumer;
    private long records;
    private RuntimeException consumerFailure;

    PrepareRing(int mapFd) {
        Pointer r = lib.ring_buffer__new(mapFd, sample, null, null);
        if (r == null) throw new BpfException("ring_buffer__new: " + LibBpf.describe(LibBpf.runtime().getLastError()));
        this.ring = r;
    }

    private int onSample(Pointer ctx, Pointer data, long size) {
        if (size < Layouts.PrepareRecord.SIZE) return 0;
        int len = data.getInt(Layouts.PrepareRecord.BODY_LEN);
        if (len < 0 || len > size - Layouts.PrepareRecord.SIZE) return 0;
        if (len > bodyBuf.length) bodyBuf = new byte[Math.max(len, bodyBuf.length * 2)];
        data.get(Layouts.PrepareRecord.SIZE, bodyBuf, 0, len);
        records++;
        data.get(Layouts.PrepareRecord.SRC_MAC, macBuf, 0, 6); // one native read, not six
        long mac = 0;
        for (byte b : macBuf) mac = (mac << 8) | (b & 0xff);
        int ip = Integer.reverseBytes(data.getInt(Layouts.PrepareRecord.SRC_IPV4)); // stored in network order
        try {
            consumer.accept(data.getLong(Layouts.PrepareRecord.VIEW), data.getLong(Layouts.PrepareRecord.OPNUM),
                    data.getLong(Layouts.PrepareRecord.BATCH_START), ip, data.getShort(Layouts.PrepareRecord.SRC_PORT) & 0xffff, mac,
                    ByteBuffer.wrap(bodyBuf, 0, len));
        } catch (RuntimeException e) {
            consumerFailure = e;
            return -1; // stop this drain; the exception is rethrown on the caller's thread
        }
        return 0;
    }

    /** Hands every record now in the ring to {@code c}; returns how many. */
    public int drain(Consumer c) {
        return run(c, () -> lib.ring_buffer__consume(ring), "ring_buffer__consume");
    }

    private int run(Consumer c, java.util.function.IntSupplier call, String op) {
        consumer = c;
        long before = records;
        int ret;
        try {
            ret = call.getAsInt();
        } finally {
            consumer = null;
        }
        if (consumerFailure != null) {
            RuntimeException e = consumerFailure;
            consumerFailure = null;
            throw e;
        }
        if (ret < 0 && ret != -4 /* EINTR */) throw new BpfException(op + ": " + LibBpf.describe(ret), -ret);
        return (int) (records - before);
    }

    @Override
    public void close() {
        lib.ring_buffer__free(ring);
    }
}
