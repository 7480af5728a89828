package dev.electrode.storage;

import com.google.protobuf.ByteString;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The replica's latest snapshot as one file, {@code snapshot-<opnum>.snap}: a 24-byte header
 * (magic, CRC32C, length, opnum) and the serialized snapshot. A new one is written to a
 * temporary file, forced, renamed over and the directory synced, so a crash leaves the old
 * snapshot or the new one, never a part; then older snapshots are deleted. A snapshot file
 * that fails its checks refuses the start, naming the file and the offset: the journal
 * segments it replaced are gone, so no older state could stand in for it.
 */
public final class SnapshotStore {
    static final int MAGIC = 0xE1EC5A95;
    static final int HEADER_BYTES = 24; // magic, crc (over length, opnum and body), length, opnum
    private static final String PREFIX = "snapshot-", SUFFIX = ".snap", TEMP = ".tmp";

    private final JournalDirectory dir;
    private long opnum;          // of the latest durable snapshot, 0 if none
    private ByteString loaded;   // its bytes as found at open (null if none), dropped once taken
    private long bytesWritten, saved;

    private SnapshotStore(JournalDirectory dir) { this.dir = dir; }

    /** The file name of the snapshot at {@code opnum}. */
    public static String fileName(long opnum) { return String.format("%s%020d%s", PREFIX, opnum, SUFFIX); }

    private static long opnumOf(String name) {
        if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) return -1;
        try {
            return Long.parseLong(name.substring(PREFIX.length(), name.length() - SUFFIX.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Opens the snapshots in {@code dir}: removes temporary files a crash left (noted in
     * {@code notes}) and loads the newest snapshot.
     *
     * @throws CorruptJournalException if the newest snapshot file fails its checks
     */
    public static SnapshotStore open(JournalDirectory dir, List<String> notes) throws IOException {
        SnapshotStore s = new SnapshotStore(dir);
        List<Long> found = new ArrayList<>();
        for (String name : dir.list()) {
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX + TEMP)) {
                dir.delete(name);
                notes.add("removed " + dir.describe() + "/" + name + ", a snapshot whose writing a crash interrupted");
                continue;
            }
            long op = opnumOf(name);
            if (op > 0) found.add(op);
        }
        if (!found.isEmpty()) {
            long newest = found.stream().mapToLong(Long::longValue).max().getAsLong();
            s.loaded = read(dir, newest);
            s.opnum = newest;
        }
        return s;
    }

    private static ByteString read(JournalDirectory dir, long opnum) throws IOException {
        String name = fileName(opnum);
        String where = dir.describe() + "/" + name;
        byte[] data;
        try (JournalFile f = dir.open(name, false)) {
            long size = f.size();
            if (size > Integer.MAX_VALUE - 8) throw new CorruptJournalException(where + ": " + size + " bytes, too large for a snapshot");
            ByteBuffer b = ByteBuffer.allocate((int) size);
            while (b.hasRemaining() && f.read(b.position(), b) >= 0) { }
            data = b.array();
        }
        String refuse = ": the replica refuses to start (the journal it replaced is gone); restore the directory, or clear it and rejoin with --recover";
        if (data.length < HEADER_BYTES) throw new CorruptJournalException(where + ": only " + data.length + " bytes, shorter than its header" + refuse);
        ByteBuffer h = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (h.getInt(0) != MAGIC) throw new CorruptJournalException(where + ": bad magic at offset 0" + refuse);
        long length = h.getLong(8);
        if (length != data.length - HEADER_BYTES)
            throw new CorruptJournalException(where + ": header at offset 8 says " + length + " bytes, the file holds " + (data.length - HEADER_BYTES) + refuse);
        CRC32C crc = new CRC32C();
        crc.update(data, 8, data.length - 8);
        if ((int) crc.getValue() != h.getInt(4))
            throw new CorruptJournalException(where + ": CRC32C mismatch over offsets 8.." + (data.length - 1) + refuse);
        if (h.getLong(16) != opnum)
            throw new CorruptJournalException(where + ": header at offset 16 names opnum " + h.getLong(16) + refuse);
        return ByteString.copyFrom(data, HEADER_BYTES, data.length - HEADER_BYTES);
    }

    /** Opnum of the latest durable snapshot, 0 if none. */
    public long opnum() { return opnum; }

    /** The bytes of the snapshot found at open, once (null if none). */
    public ByteString takeLoaded() {
        ByteString b = loaded;
        loaded = null;
        return b;
    }

    /** Makes {@code bytes} the durable snapshot at {@code opnum}, then deletes older ones. */
    public void save(long opnum, ByteString bytes) throws IOException {
        String name = fileName(opnum);
        String temp = name + TEMP;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.putInt(MAGIC).putInt(0).putLong(bytes.size()).putLong(opnum);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 8, 16);
        for (ByteBuffer b : bytes.asReadOnlyByteBufferList()) crc.update(b);
        header.putInt(4, (int) crc.getValue()).position(HEADER_BYTES).flip();
        try (JournalFile f = dir.open(temp, true)) {
            if (f.size() != 0) f.truncate(0);
            f.append(header);
            for (ByteBuffer b : bytes.asReadOnlyByteBufferList()) f.append(b);
            f.force();
        }
        dir.rename(temp, name);
        dir.sync();
        long previous = this.opnum;
        this.opnum = opnum;
        bytesWritten += HEADER_BYTES + bytes.size();
        saved++;
        for (String n : dir.list()) {
            long op = opnumOf(n);
            if (op > 0 && op < opnum) dir.delete(n);
        }
        if (previous > 0) dir.sync();
    }

    /** Bytes written and snapshots saved since open (for stats). */
    public long bytesWritten() { return bytesWritten; }

    public long saved() { return saved; }
}
