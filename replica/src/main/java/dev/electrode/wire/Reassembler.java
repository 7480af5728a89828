package dev.electrode.wire;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rebuilds messages from fragments, per sender, within fixed memory bounds. Fragments may
 * arrive in any order and more than once; a partial message expires after a timeout, and a
 * sender over its byte budget loses its oldest partial messages first. Single-threaded.
 */
public final class Reassembler {
    /** Bounds on what reassembly may hold. */
    public record Limits(long maxMessageBytes, long maxBytesPerSender, int maxSenders, long timeoutNanos) {
        /** 64 MiB messages, 64 MiB per sender, 1024 senders, 5 s. */
        public static final Limits DEFAULT = new Limits(64L << 20, 64L << 20, 1024, 5_000_000_000L);

        public Limits {
            if (maxMessageBytes <= 0 || maxBytesPerSender < maxMessageBytes || maxSenders <= 0 || timeoutNanos <= 0)
                throw new IllegalArgumentException("invalid reassembly limits: " + this);
        }
    }

    private static final class Partial {
        final long id;
        final byte[] data;
        final TreeMap<Long, Long> ranges = new TreeMap<>(); // start -> end (exclusive)
        long received;
        final long startedNanos;

        Partial(long id, int total, long now) {
            this.id = id;
            this.data = new byte[total];
            this.startedNanos = now;
        }
    }

    private static final class Sender {
        final Map<Long, Partial> partials = new HashMap<>();
        final ArrayDeque<Long> order = new ArrayDeque<>(); // ids, oldest first
        long bytes;
    }

    /** Result of offering one fragment: a completed message (without magic), or null and an error. */
    public record Offer(ByteBuffer message, DecodeError error) {}

    private static final Offer STORED = new Offer(null, null);

    private final Limits limits;
    private final CodecStats stats;
    private final LinkedHashMap<Object, Sender> senders = new LinkedHashMap<>(16, 0.75f, true);

    public Reassembler(Limits limits, CodecStats stats) {
        this.limits = limits;
        this.stats = stats;
    }

    /** Bytes currently held for partial messages of all senders. */
    public long bytesHeld() {
        long sum = 0;
        for (Sender s : senders.values()) sum += s.bytes;
        return sum;
    }

    /** Number of incomplete messages held. */
    public int pendingMessages() {
        int n = 0;
        for (Sender s : senders.values()) n += s.partials.size();
        return n;
    }

    /**
     * Takes one fragment (the datagram after its 4 magic bytes is at {@code frag}'s position,
     * little-endian). Returns the complete message once every byte has arrived.
     */
    public Offer offer(Object sender, ByteBuffer frag, long nowNanos) {
        if (frag.remaining() < WireFormat.FRAG_HEADER_LEN - 4) return new Offer(null, DecodeError.BAD_FRAGMENT);
        long id = frag.getLong();
        long start = frag.getLong();
        long total = frag.getLong();
        int len = frag.remaining();
        if (total <= 0 || len == 0 || start < 0 || start >= total || len > total - start)
            return new Offer(null, DecodeError.BAD_FRAGMENT);
        if (total > limits.maxMessageBytes()) return new Offer(null, DecodeError.FRAGMENT_TOO_LARGE);

        expire(nowNanos);
        Sender s = senders.get(sender);
        if (s == null) {
            if (senders.size() >= limits.maxSenders()) evictLeastRecentSender();
            s = new Sender();
            senders.put(sender, s);
        }
        Partial p = s.partials.get(id);
        if (p == null) {
            while (s.bytes + total > limits.maxBytesPerSender() && !s.order.isEmpty()) {
                drop(s, s.partials.get(s.order.peekFirst()));
                stats.rejected(DecodeError.FRAGMENT_EVICTED);
            }
            p = new Partial(id, (int) total, nowNanos);
            s.partials.put(id, p);
            s.order.addLast(id);
            s.bytes += total;
        } else if (p.data.length != total) {
            drop(s, p);
            return new Offer(null, DecodeError.FRAGMENT_INCONSISTENT);
        }

        long end = start + len;
        Map.Entry<Long, Long> below = p.ranges.floorEntry(start);
        if (below != null && below.getKey() == start && below.getValue() == end)
            return new Offer(null, DecodeError.DUPLICATE_FRAGMENT);
        Map.Entry<Long, Long> above = p.ranges.ceilingEntry(start);
        if ((below != null && below.getValue() > start) || (above != null && above.getKey() < end)) {
            drop(s, p);
            return new Offer(null, DecodeError.FRAGMENT_OVERLAP);
        }
        frag.get(p.data, (int) start, len);
        p.ranges.put(start, end);
        p.received += len;
        if (p.received < p.data.length) return STORED;
        drop(s, p);
        if (s.partials.isEmpty()) senders.remove(sender);
        return new Offer(ByteBuffer.wrap(p.data), null);
    }

    /** Drops partial messages older than the timeout; returns how many. */
    public int expire(long nowNanos) {
        int n = 0;
        for (Iterator<Sender> it = senders.values().iterator(); it.hasNext(); ) {
            Sender s = it.next();
            while (!s.order.isEmpty()) {
                Partial oldest = s.partials.get(s.order.peekFirst());
                if (nowNanos - oldest.startedNanos < limits.timeoutNanos()) break;
                drop(s, oldest);
                n++;
            }
            if (s.partials.isEmpty()) it.remove();
        }
        if (n > 0) stats.rejected(DecodeError.FRAGMENT_EXPIRED, n);
        return n;
    }

    private void evictLeastRecentSender() {
        Iterator<Sender> it = senders.values().iterator();
        Sender victim = it.next();
        stats.rejected(DecodeError.FRAGMENT_EVICTED, victim.partials.size());
        it.remove();
    }

    private static void drop(Sender s, Partial p) {
        s.partials.remove(p.id);
        s.order.remove(p.id);
        s.bytes -= p.data.length;
    }
}
