package dev.electrode.vr;

import dev.electrode.wire.proto.LogEntry;

import java.util.ArrayList;
import java.util.List;

/** The replica's log in memory; opnums start at 1 and are contiguous. A listener (a journal) sees every change in order. */
public final class ReplicaLog {
    /** Told of each change as it happens, to make it durable. */
    public interface Listener {
        void appended(LogEntry e);

        void truncatedAfter(long opnum);
    }

    private static final Listener NONE = new Listener() {
        @Override public void appended(LogEntry e) {}

        @Override public void truncatedAfter(long opnum) {}
    };

    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private Listener listener = NONE;

    /** Installs the listener of later changes (null: none). */
    public void setListener(Listener l) { listener = l == null ? NONE : l; }

    /** Opnum of the last entry, 0 when empty. */
    public long lastOp() { return entries.size(); }

    /** The entry at {@code opnum} (1-based). */
    public LogEntry get(long opnum) {
        if (opnum < 1 || opnum > entries.size()) throw new IndexOutOfBoundsException("opnum " + opnum + " not in log of " + entries.size());
        return entries.get((int) (opnum - 1));
    }

    /** Appends the next entry; its opnum must be {@code lastOp() + 1}. */
    public void append(LogEntry e) {
        if (e.getOpnum() != lastOp() + 1)
            throw new IllegalArgumentException("append of opnum " + e.getOpnum() + " after " + lastOp());
        entries.add(e);
        listener.appended(e);
    }

    /** Drops every entry above {@code opnum}. */
    public void truncateAfter(long opnum) {
        if (opnum < 0) throw new IllegalArgumentException("negative opnum");
        if (entries.size() <= opnum) return;
        while (entries.size() > opnum) entries.remove(entries.size() - 1);
        listener.truncatedAfter(opnum);
    }

    /** Entries {@code from..to} inclusive (a view, valid until the log changes). */
    public List<LogEntry> range(long from, long to) {
        if (from > to) return List.of();
        return entries.subList((int) (from - 1), (int) to);
    }
}
