package dev.electrode.vr;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.vr.proto.Snapshot;
import dev.electrode.vr.proto.SnapshotChunkMessage;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * A snapshot arriving from the leader in chunks, taken strictly in order. Memory follows the
 * bytes that arrived, never the size a chunk claims; the whole is checked (size, CRC32C,
 * decoding, opnum) before anything of it is used.
 */
final class SnapshotDownload {
    /** Largest snapshot a replica accepts from the wire. */
    static final long MAX_BYTES = 1L << 30;

    final long opnum;
    final long totalBytes;
    private final int crc32c;
    private ByteString received = ByteString.EMPTY;

    private SnapshotDownload(long opnum, long totalBytes, int crc32c) {
        this.opnum = opnum;
        this.totalBytes = totalBytes;
        this.crc32c = crc32c;
    }

    /** A download begun by chunk {@code c} at offset 0, or null if {@code c} cannot begin one. */
    static SnapshotDownload begin(SnapshotChunkMessage c) {
        if (c.getOffset() != 0 || c.getTotalBytes() < 1 || c.getTotalBytes() > MAX_BYTES) return null;
        SnapshotDownload d = new SnapshotDownload(c.getOpnum(), c.getTotalBytes(), c.getCrc32C());
        return d.accept(c) ? d : null;
    }

    /** Takes {@code c} if it is the next piece of this snapshot; false if it is not (a duplicate, a gap, another snapshot). */
    boolean accept(SnapshotChunkMessage c) {
        if (c.getOpnum() != opnum || c.getTotalBytes() != totalBytes || c.getCrc32C() != crc32c) return false;
        if (c.getOffset() != received.size() || c.getData().isEmpty() || received.size() + (long) c.getData().size() > totalBytes)
            return false;
        received = received.concat(c.getData());
        return true;
    }

    /** Bytes received so far: the offset of the next piece. */
    long receivedBytes() { return received.size(); }

    boolean complete() { return received.size() == totalBytes; }

    /**
     * The complete snapshot, checked.
     *
     * @throws IllegalArgumentException if it fails its checksum, does not decode, or names another opnum
     */
    Snapshot verify() {
        if (crcOf(received) != crc32c) throw new IllegalArgumentException("snapshot " + opnum + " fails its CRC32C");
        Snapshot s;
        try {
            s = Snapshot.parseFrom(received);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("snapshot " + opnum + " does not decode: " + e.getMessage(), e);
        }
        if (s.getOpnum() != opnum) throw new IllegalArgumentException("snapshot announced as " + opnum + " holds opnum " + s.getOpnum());
        return s;
    }

    /** The bytes received (the serialized snapshot once complete). */
    ByteString bytes() { return received; }

    /** CRC32C of {@code bytes}, as a chunk carries it. */
    static int crcOf(ByteString bytes) {
        CRC32C crc = new CRC32C();
        for (ByteBuffer b : bytes.asReadOnlyByteBufferList()) crc.update(b);
        return (int) crc.getValue();
    }
}
