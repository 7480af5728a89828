package dev.electrode.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.wire.proto.LogEntry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A replica's durable state as one append-only journal of checksummed records, PLog-style:
 * log entries, truncations and the meta record (view, lastNormalView, commit point, status)
 * in the order they happened, so a prefix of the journal is always a consistent state and the
 * meta record goes to disk with the log growth it describes, in one write and one force.
 *
 * <p>Records are buffered by {@link #append}, {@link #truncateAfter} and {@link #meta}, and
 * written by {@link #write} (one write call) and made durable by {@link #force}: the replica
 * does both once per event-loop turn, before anything it sent in that turn leaves (group
 * commit). The journal is split into segment files {@code journal-<n>.log}; each starts with
 * a header naming the cluster and replica, and the current meta record.
 *
 * <p>At {@link #open}, every record is checked (magic, length, CRC32C). An invalid record
 * after which nothing valid follows is a torn write from a crash: the tail is cut (and
 * reported). One followed by valid records is corruption: opening fails with the file and
 * offset, and nothing of it is ever served. Single-threaded.
 *
 * <p>Compaction: once a snapshot covers every entry of the oldest segments, {@link
 * #deleteSegmentsThrough} deletes them; the log then starts in a later segment, and
 * {@link #open} checks that the snapshot and the remaining entries leave no gap. A RESET
 * record drops the whole log when a snapshot from the leader replaced it.
 */
public final class Journal implements AutoCloseable {
    /** Which cluster and replica a data directory belongs to. */
    public record Identity(String clusterId, int replicaIndex) {}

    /** The replica's protocol state besides its log; {@code status} is {@code Status.code()}. */
    public record Meta(long view, long lastNormalView, long commitNum, int status) {
        /** True if {@code other} (may be null) holds the same view, last normal view and status: at most the commit point differs. */
        public boolean sameBesidesCommit(Meta other) {
            return other != null && view == other.view && lastNormalView == other.lastNormalView && status == other.status;
        }
    }

    /**
     * What {@link #open} found: the contiguous log entries (they reach the snapshot's opnum, or
     * are empty), the latest meta record (null if none), and a report.
     */
    public record Recovered(List<LogEntry> entries, Meta meta, List<String> notes) {}

    static final int MAGIC = 0xE1EC0106;
    static final int HEADER_BYTES = 13; // magic, length, crc, type
    static final int MAX_RECORD = 64 << 20;
    static final byte HEADER = 1, ENTRY = 2, TRUNCATE = 3, META = 4, RESET = 5;
    /** Default size at which a new segment starts. */
    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;

    private final JournalDirectory dir;
    private final Identity id;
    private final long segmentBytes;
    private final Recovered recovered;
    private JournalFile current;
    private long currentSegment;
    private long currentSize;
    private ByteBuffer pending = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
    private Meta lastMeta;
    private long bytesWritten, forces;
    // Per segment, the highest opnum of an entry in it (-1: none): a segment can go once a snapshot covers it.
    private final java.util.TreeMap<Long, Long> segmentMaxOp = new java.util.TreeMap<>();
    private long pendingMaxOp = -1;
    private long segmentsDeleted;
    private boolean logRecordsPending; // entries, truncations or resets buffered since the last write

    private Journal(JournalDirectory dir, Identity id, long segmentBytes, Recovered recovered) {
        this.dir = dir;
        this.id = id;
        this.segmentBytes = segmentBytes;
        this.recovered = recovered;
        this.lastMeta = recovered.meta();
    }

    /** The file name of segment {@code n}. */
    public static String segmentName(long n) { return String.format("journal-%020d.log", n); }

    private static long segmentNumber(String name) {
        if (!name.startsWith("journal-") || !name.endsWith(".log")) return -1;
        try {
            return Long.parseLong(name.substring(8, name.length() - 4));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Opens the journal in {@code dir} for replica {@code id}, reading and checking what is
     * there (an empty directory starts a new journal).
     *
     * @throws CorruptJournalException if a record is damaged and intact ones follow, a segment
     *         is missing, or the directory belongs to another cluster or replica
     */
    public static Journal open(JournalDirectory dir, Identity id, long segmentBytes) throws IOException {
        return open(dir, id, segmentBytes, 0);
    }

    /**
     * As {@link #open(JournalDirectory, Identity, long)}, for a directory whose snapshot covers
     * opnums up to {@code snapshotOp}: the entries found must reach it without a gap; a log that
     * ends below it is dropped (the snapshot replaced it) and a RESET record says so.
     */
    public static Journal open(JournalDirectory dir, Identity id, long segmentBytes, long snapshotOp) throws IOException {
        List<Long> segments = new ArrayList<>();
        for (String name : dir.list()) {
            long n = segmentNumber(name);
            if (n >= 0) segments.add(n);
        }
        List<String> notes = new ArrayList<>();
        Replay replay = new Replay();
        boolean lastHasHeader = false;
        for (int i = 0; i < segments.size(); i++) {
            long n = segments.get(i);
            if (i > 0 && n != segments.get(i - 1) + 1)
                throw new CorruptJournalException(dir.describe() + ": segment " + segmentName(segments.get(i - 1) + 1)
                        + " is missing (found " + segmentName(n) + " after " + segmentName(segments.get(i - 1)) + ")");
            lastHasHeader = readSegment(dir, id, n, i == segments.size() - 1, replay, notes);
        }
        List<LogEntry> entries = replay.entries;
        long lastOp = replay.base + entries.size();
        boolean reset = false;
        if (!entries.isEmpty() && lastOp >= snapshotOp && replay.base > snapshotOp)
            throw new CorruptJournalException(dir.describe() + ": the log resumes at opnum " + (replay.base + 1) + " but "
                    + (snapshotOp == 0 ? "there is no snapshot" : "the snapshot covers only up to " + snapshotOp) + ": entries "
                    + (snapshotOp + 1) + ".." + replay.base + " are missing (a segment or the snapshot file was lost)");
        if (snapshotOp > 0 && (entries.isEmpty() || lastOp < snapshotOp) && !(replay.baseKnown && entries.isEmpty() && replay.base == snapshotOp)) {
            if (!entries.isEmpty())
                notes.add("the journal's log (" + (replay.base + 1) + ".." + lastOp + ") ends below snapshot " + snapshotOp
                        + ": the log continues after the snapshot");
            entries = List.of();
            reset = true;
        }
        Journal j = new Journal(dir, id, segmentBytes, new Recovered(List.copyOf(entries), replay.meta, List.copyOf(notes)));
        j.segmentMaxOp.putAll(replay.segmentMaxOp);
        if (segments.isEmpty()) j.startSegment(0);
        else if (!lastHasHeader) j.startSegment(segments.get(segments.size() - 1)); // a segment torn before its header landed
        else j.reopen(segments.get(segments.size() - 1));
        if (reset) j.reset(snapshotOp);
        return j;
    }

    /** The state found at open. */
    public Recovered recovered() { return recovered; }

    /** Buffers log entry {@code e}. */
    public void append(LogEntry e) {
        put(ENTRY, e.toByteArray());
        pendingMaxOp = Math.max(pendingMaxOp, e.getOpnum());
        logRecordsPending = true;
    }

    /** Buffers the truncation of every entry above {@code opnum}. */
    public void truncateAfter(long opnum) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(opnum);
        put(TRUNCATE, b.array());
        logRecordsPending = true;
    }

    /** Buffers the drop of every entry: the log continues after {@code base} (a snapshot replaced it). */
    public void reset(long base) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(base);
        put(RESET, b.array());
        logRecordsPending = true;
    }

    /**
     * Deletes the oldest segments while every entry in them is at or below {@code opnum} (the
     * caller's snapshot, already durable, covers it). The segment being written stays.
     *
     * @return the number of segments deleted
     */
    public int deleteSegmentsThrough(long opnum) throws IOException {
        int deleted = 0;
        while (segmentMaxOp.size() > 1) {
            var oldest = segmentMaxOp.firstEntry();
            if (oldest.getKey() == currentSegment || oldest.getValue() > opnum) break;
            dir.delete(segmentName(oldest.getKey()));
            segmentMaxOp.pollFirstEntry();
            deleted++;
        }
        if (deleted > 0) {
            dir.sync();
            segmentsDeleted += deleted;
        }
        return deleted;
    }

    /** Segment files the journal spans now. */
    public int segmentCount() { return segmentMaxOp.size(); }

    /** Segments deleted since open. */
    public long segmentsDeleted() { return segmentsDeleted; }

    /** Buffers the meta record if it differs from the last one. */
    public void meta(Meta m) {
        if (m.equals(lastMeta)) return;
        lastMeta = m;
        put(META, encodeMeta(m));
    }

    /** True if log records (entries, truncations, resets) are buffered that {@link #write} has not written. */
    public boolean hasLogRecordsPending() { return logRecordsPending; }

    /** True if records are buffered that {@link #write} has not written. */
    public boolean hasPending() { return pending.position() > 0; }

    /** Writes the buffered records to the current segment (one write); starts a new segment when it is full. */
    public void write() throws IOException {
        if (!hasPending()) return;
        pending.flip();
        int n = pending.remaining();
        current.append(pending);
        pending.clear();
        logRecordsPending = false;
        if (pendingMaxOp >= 0) segmentMaxOp.merge(currentSegment, pendingMaxOp, Math::max);
        pendingMaxOp = -1;
        currentSize += n;
        bytesWritten += n;
        if (currentSize >= segmentBytes) {
            current.force();
            startSegment(currentSegment + 1);
            current.force();
        }
    }

    /** Makes everything written durable. */
    public void force() throws IOException {
        current.force();
        forces++;
    }

    /** {@link #write} then {@link #force}. */
    public void sync() throws IOException {
        write();
        force();
    }

    /** Bytes written and forces made since open (for stats). */
    public long bytesWritten() { return bytesWritten; }

    public long forces() { return forces; }

    @Override
    public void close() throws IOException {
        if (current != null) current.close();
    }

    // ------------------------------------------------------------------ writing

    private void put(byte type, byte[] body) {
        int need = HEADER_BYTES + body.length;
        if (pending.remaining() < need) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + need)).order(ByteOrder.LITTLE_ENDIAN);
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        encode(pending, type, body);
    }

    static void encode(ByteBuffer out, byte type, byte[] body) {
        int length = 1 + body.length;
        CRC32C crc = new CRC32C();
        ByteBuffer lenType = ByteBuffer.allocate(5).order(ByteOrder.LITTLE_ENDIAN).putInt(length).put(type);
        crc.update(lenType.array());
        crc.update(body);
        out.putInt(MAGIC).putInt(length).putInt((int) crc.getValue()).put(type).put(body);
    }

    private void startSegment(long n) throws IOException {
        if (current != null) current.close();
        current = dir.open(segmentName(n), true);
        if (current.size() != 0) current.truncate(0);
        currentSegment = n;
        segmentMaxOp.put(n, -1L);
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        encode(b, HEADER, encodeHeader(id, n));
        if (lastMeta != null) encode(b, META, encodeMeta(lastMeta)); // each segment restates the meta: older ones can go
        b.flip();
        currentSize = b.remaining();
        current.append(b);
        dir.sync();
    }

    private void reopen(long n) throws IOException {
        current = dir.open(segmentName(n), false);
        currentSegment = n;
        segmentMaxOp.putIfAbsent(n, -1L);
        currentSize = current.size();
    }

    private static byte[] encodeHeader(Identity id, long segment) {
        byte[] cluster = id.clusterId().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + cluster.length + 4 + 8).order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) cluster.length).put(cluster).putInt(id.replicaIndex()).putLong(segment).array();
    }

    private static byte[] encodeMeta(Meta m) {
        return ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(m.view()).putLong(m.lastNormalView()).putLong(m.commitNum()).putInt(m.status()).array();
    }

    // ------------------------------------------------------------------ reading

    private static final class Replay {
        final ArrayList<LogEntry> entries = new ArrayList<>(); // opnums base+1..
        long base;
        boolean baseKnown; // false until the first entry, truncation or reset: older segments may be deleted
        Meta meta;
        final java.util.TreeMap<Long, Long> segmentMaxOp = new java.util.TreeMap<>();
    }

    private static byte[] readAll(JournalFile f) throws IOException {
        long size = f.size();
        if (size > Integer.MAX_VALUE - 8) throw new IOException("segment of " + size + " bytes is too large to read");
        ByteBuffer b = ByteBuffer.allocate((int) size);
        while (b.hasRemaining()) {
            if (f.read(b.position(), b) < 0) break;
        }
        return b.array();
    }

    /** The record at {@code off}, or null if no valid record starts there. */
    private static ByteBuffer recordAt(byte[] data, int off) {
        if (data.length - off < HEADER_BYTES) return null;
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(off) != MAGIC) return null;
        int length = b.getInt(off + 4);
        if (length < 1 || length > MAX_RECORD || length > data.length - off - 12) return null;
        CRC32C crc = new CRC32C();
        crc.update(data, off + 4, 4);
        crc.update(data, off + 12, length);
        if ((int) crc.getValue() != b.getInt(off + 8)) return null;
        return ByteBuffer.wrap(data, off + 12, length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads and applies one segment; returns false if it holds no record (possible only for the last, torn one). */
    private static boolean readSegment(JournalDirectory dir, Identity id, long n, boolean last, Replay replay, List<String> notes)
            throws IOException {
        String name = segmentName(n);
        replay.segmentMaxOp.putIfAbsent(n, -1L);
        byte[] data;
        try (JournalFile f = dir.open(name, false)) {
            data = readAll(f);
        }
        int off = 0;
        boolean first = true;
        while (off < data.length) {
            ByteBuffer rec = recordAt(data, off);
            if (rec == null) {
                int later = nextValidRecord(data, off + 1);
                if (later >= 0 || !last)
                    throw new CorruptJournalException(dir.describe() + "/" + name + ": damaged record at offset " + off
                            + (later >= 0 ? " (an intact record follows at offset " + later + ")" : " (later segments follow)")
                            + ": not a torn write, so the replica refuses to start; restore the directory, or clear it and"
                            + " rejoin with --recover");
                try (JournalFile f = dir.open(name, false)) {
                    f.truncate(off);
                    f.force();
                }
                notes.add("cut a torn write at the end of " + dir.describe() + "/" + name + ": " + (data.length - off)
                        + " bytes from offset " + off);
                break;
            }
            int recordEnd = off + 12 + rec.remaining();
            byte type = rec.get();
            if (first && type != HEADER)
                throw new CorruptJournalException(dir.describe() + "/" + name + ": no header record at offset 0");
            apply(dir, name, off, type, rec, id, n, replay);
            first = false;
            off = recordEnd;
        }
        if (first && !last)
            throw new CorruptJournalException(dir.describe() + "/" + name + ": empty segment before later ones");
        return !first;
    }

    private static int nextValidRecord(byte[] data, int from) {
        for (int o = from; o + HEADER_BYTES <= data.length; o++) {
            if (data[o] == (byte) MAGIC && recordAt(data, o) != null) return o;
        }
        return -1;
    }

    private static void apply(JournalDirectory dir, String name, int off, byte type, ByteBuffer rec, Identity id, long n, Replay replay)
            throws CorruptJournalException {
        String where = dir.describe() + "/" + name + " offset " + off;
        switch (type) {
            case HEADER -> {
                int len = rec.getShort() & 0xffff;
                byte[] cluster = new byte[len];
                rec.get(cluster);
                String clusterId = new String(cluster, StandardCharsets.UTF_8);
                int index = rec.getInt();
                long segment = rec.getLong();
                if (!clusterId.equals(id.clusterId()) || index != id.replicaIndex())
                    throw new CorruptJournalException(dir.describe() + " belongs to replica " + index + " of cluster " + clusterId
                            + ", not to replica " + id.replicaIndex() + " of cluster " + id.clusterId());
                if (segment != n) throw new CorruptJournalException(where + ": header names segment " + segment);
            }
            case ENTRY -> {
                LogEntry e;
                try {
                    e = LogEntry.parseFrom(rec);
                } catch (InvalidProtocolBufferException ex) {
                    throw new CorruptJournalException(where + ": log entry does not decode: " + ex.getMessage());
                }
                if (!replay.baseKnown) { // the first entry of a journal whose older segments a snapshot replaced
                    replay.base = e.getOpnum() - 1;
                    replay.baseKnown = true;
                }
                long last = replay.base + replay.entries.size();
                if (e.getOpnum() != last + 1)
                    throw new CorruptJournalException(where + ": entry " + e.getOpnum() + " after entry " + last);
                replay.entries.add(e);
                replay.segmentMaxOp.merge(n, e.getOpnum(), Math::max);
            }
            case TRUNCATE -> {
                long after = rec.getLong();
                if (after < 0) throw new CorruptJournalException(where + ": truncation to " + after);
                if (!replay.baseKnown || after <= replay.base) {
                    replay.entries.clear(); // what is left lies in segments a snapshot replaced
                    replay.base = after;
                    replay.baseKnown = true;
                } else if (after < replay.base + replay.entries.size()) {
                    replay.entries.subList((int) (after - replay.base), replay.entries.size()).clear();
                }
            }
            case META -> replay.meta = new Meta(rec.getLong(), rec.getLong(), rec.getLong(), rec.getInt());
            case RESET -> {
                long base = rec.getLong();
                if (base < 0) throw new CorruptJournalException(where + ": reset to " + base);
                replay.entries.clear();
                replay.base = base;
                replay.baseKnown = true;
            }
            default -> throw new CorruptJournalException(where + ": unknown record type " + type);
        }
    }
}
