package dev.electrode.vr;

import dev.electrode.wire.proto.DoViewChangeMessage;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The votes of one view change: who sent StartViewChange, the commit point each replica
 * reported, and the DoViewChange messages the new leader collected.
 */
final class ViewChangeVotes {
    private final BitSet startViewChangeFrom = new BitSet();
    private final long[] knownCommit; // per replica; -1: unknown
    private final Map<Integer, DoViewChangeMessage> doViewChanges = new HashMap<>();
    /** This replica sent its DoViewChange (resent on the resend timer). */
    boolean doViewChangeSent;

    ViewChangeVotes(int n) {
        this.knownCommit = new long[n];
        Arrays.fill(knownCommit, -1);
    }

    /** Forgets every vote (a new view change, or the view started). */
    void reset() {
        startViewChangeFrom.clear();
        Arrays.fill(knownCommit, -1);
        doViewChanges.clear();
        doViewChangeSent = false;
    }

    /** Replica {@code r} asked for this view change, with its commit point. */
    void startViewChange(int r, long lastCommitted) {
        startViewChangeFrom.set(r);
        knownCommit[r] = lastCommitted;
    }

    int startViewChanges() { return startViewChangeFrom.cardinality(); }

    /** The commit point replica {@code r} reported in this view change, or -1. */
    long knownCommit(int r) { return knownCommit[r]; }

    /** Replica {@code r} has committed at least {@code c}. */
    void committed(int r, long c) { knownCommit[r] = Math.max(knownCommit[r], c); }

    /** Every replica's reported commit point (-1: unknown), as a copy. */
    long[] knownCommits() { return knownCommit.clone(); }

    void doViewChange(int r, DoViewChangeMessage m) { doViewChanges.put(r, m); }

    boolean hasDoViewChange(int r) { return doViewChanges.containsKey(r); }

    int doViewChangeCount() { return doViewChanges.size(); }

    Collection<DoViewChangeMessage> doViewChanges() { return doViewChanges.values(); }
}
