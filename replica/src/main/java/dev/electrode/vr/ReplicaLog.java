package dev.electrode.vr;

import dev.electrode.wire.proto.LogEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * The replica's log in memory: the contiguous entries {@code firstOp()..lastOp()}. Entries at
 * or below {@link #base()} were compacted away (a snapshot holds their effect). A listener (a
 * journal) sees every change that a restart must reproduce, in order.
 */
public final class ReplicaLog {
    /** Told of each change as it happens, to make it durable. */
    public interface Listener {
        void appended(LogEntry e);

        void truncatedAfter(long opnum);

        /** Every entry was dropped and the log now continues after {@code base} (a snapshot was installed). */
        void reset(long base);
    }

    private static final Listener NONE = new Listener() {
        @Override public void appended(LogEntry e) {}

        @Override public void truncatedAfter(long opnum) {}

        @Override public void reset(long base) {}
    };

    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private long base; // opnum of the last entry compacted away (0: none)
    private Listener listener = NONE;

    /** Installs the listener of later changes (null: none). */
    public void setListener(Listener l) { listener = l == null ? NONE : l; }

    /** Opnum of the last entry, {@link #base()} when no entry is held. */
    public long lastOp() { return base + entries.size(); }

    /** Opnum after which entries are held (entries up to it were compacted). */
    public long base() { return base; }

    /** Number of entries held in memory. */
    public int size() { return entries.size(); }

    /** The entry at {@code opnum}, which must be held ({@code base() < opnum <= lastOp()}). */
    public LogEntry get(long opnum) {
        if (opnum <= base || opnum > lastOp())
            throw new IndexOutOfBoundsException("opnum " + opnum + " not in log " + (base + 1) + ".." + lastOp());
        return entries.get((int) (opnum - base - 1));
    }

    /** Appends the next entry; its opnum must be {@code lastOp() + 1}. */
    public void append(LogEntry e) {
        if (e.getOpnum() != lastOp() + 1)
            throw new IllegalArgumentException("append of opnum " + e.getOpnum() + " after " + lastOp());
        entries.add(e);
        listener.appended(e);
    }

    /** Drops every entry above {@code opnum}, which may not lie below the compacted prefix. */
    public void truncateAfter(long opnum) {
        if (opnum < base) throw new IllegalArgumentException("truncation to " + opnum + " below the compacted prefix " + base);
        if (lastOp() <= opnum) return;
        entries.subList((int) (opnum - base), entries.size()).clear();
        listener.truncatedAfter(opnum);
    }

    /**
     * Forgets the entries up to {@code opnum} (their effect is in a snapshot); memory only, since
     * the journal drops whole segments on its own once a snapshot covers them.
     */
    public void compactThrough(long opnum) {
        if (opnum <= base) return;
        if (opnum > lastOp()) throw new IllegalArgumentException("compaction to " + opnum + " beyond the log's end " + lastOp());
        entries.subList(0, (int) (opnum - base)).clear();
        entries.trimToSize();
        base = opnum;
    }

    /** Drops every entry; the log continues after {@code newBase} (the opnum of an installed snapshot). */
    public void resetTo(long newBase) {
        if (newBase < 0) throw new IllegalArgumentException("negative base");
        entries.clear();
        entries.trimToSize();
        base = newBase;
        listener.reset(newBase);
    }

    /** Entries {@code from..to} inclusive, all held (a view, valid until the log changes). */
    public List<LogEntry> range(long from, long to) {
        if (from > to) return List.of();
        if (from <= base) throw new IndexOutOfBoundsException("opnum " + from + " was compacted (log starts after " + base + ")");
        return entries.subList((int) (from - base - 1), (int) (to - base));
    }
}
