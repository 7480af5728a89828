package dev.electrode.server;

import dev.electrode.raft.RaftReplica;
import dev.electrode.raft.proto.Entry;
import dev.electrode.storage.DataDirectory;
import dev.electrode.storage.Journal;
import dev.electrode.wire.proto.LogEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * A Raft replica in the project's data directory (journal segments and snapshot files, as VR
 * keeps them). The journal's meta record holds Raft's hard state: its view field the current
 * term, its lastNormalView field the vote plus one (0: none), its commit field the commit index,
 * status 0. Entries are journal LogEntry records with view = term and opnum = index.
 */
final class RaftDurability {
    private RaftDurability() {}

    /** The meta record of {@code core}'s state now. */
    static Journal.Meta meta(RaftReplica core) {
        return new Journal.Meta(core.term(), core.votedFor() + 1L, core.commitIndex(), 0);
    }

    /**
     * The state a replica restarts from, out of what its directory held.
     *
     * @throws IllegalArgumentException if the meta record names no valid vote
     */
    static RaftReplica.Restored restored(DataDirectory.Recovered r, int replicas) {
        Journal.Meta m = r.meta();
        long term = m == null ? 0 : m.view();
        long vote = m == null ? -1 : m.lastNormalView() - 1;
        if (vote < -1 || vote >= replicas)
            throw new IllegalArgumentException("the journal's meta record names vote " + vote + ", not a replica of " + replicas);
        List<Entry> entries = new ArrayList<>(r.entries().size());
        for (LogEntry e : r.entries()) entries.add(Entry.newBuilder().setTerm(e.getView()).setIndex(e.getOpnum()).setRequest(e.getRequest()).build());
        return new RaftReplica.Restored(term, (int) vote, m == null ? 0 : m.commitNum(), r.snapshot(), entries);
    }

    /** Records the core's log changes in {@code durable}'s journal, and its snapshots for the end of the turn. */
    static RaftReplica.LogListener listener(DurableState durable) {
        Journal journal = durable.journal();
        return new RaftReplica.LogListener() {
            @Override public void appended(Entry e) {
                journal.append(LogEntry.newBuilder().setView(e.getTerm()).setOpnum(e.getIndex()).setRequest(e.getRequest()).build());
            }

            @Override public void truncatedFrom(long index) { journal.truncateAfter(index - 1); }

            @Override public void reset(long base) { journal.reset(base); }

            @Override public void snapshot(long index, com.google.protobuf.ByteString bytes) { durable.snapshotTaken(index, bytes); }
        };
    }
}
