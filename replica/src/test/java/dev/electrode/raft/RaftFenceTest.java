package dev.electrode.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvStore;
import dev.electrode.raft.proto.*;
import dev.electrode.app.ClientAddress;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The quiescence fence, message by message: what a follower's kernel acknowledged for its
 * leader is part of its log before it votes in a newer term, so a candidate that lacks those
 * entries (which the old leader may have committed on that acknowledgement) is refused.
 */
class RaftFenceTest {
    private static final class Recording implements RaftOutbox {
        final List<Message> sent = new ArrayList<>();
        List<AppendEntries> kernelAcked = List.of();
        final List<Boolean> normal = new ArrayList<>();
        long verified = -1;

        @Override public void toReplica(int idx, Message m) { sent.add(m); }
        @Override public void toClient(ClientAddress client, Message m) {}
        @Override public void setTimer(RaftTimer timer, long delayMicros) {}
        @Override public void controlChanged(boolean n, long term, int leader, long v) { normal.add(n); verified = v; }
        @Override public List<AppendEntries> stopFastAcks() {
            List<AppendEntries> a = kernelAcked;
            kernelAcked = List.of();
            return a;
        }
    }

    private static AppendEntries append(long term, int leader, long prev, long prevTerm, int count) {
        AppendEntries.Builder b = AppendEntries.newBuilder().setTerm(term).setLeader(leader).setPrevLogIndex(prev).setPrevLogTerm(prevTerm)
                .setLeaderCommit(0);
        for (int i = 1; i <= count; i++)
            b.addEntries(Entry.newBuilder().setTerm(term).setIndex(prev + i)
                    .setRequest(Request.newBuilder().setOp(ByteString.copyFromUtf8("op")).setClientid(5).setClientreqid(prev + i)));
        return b.build();
    }

    /** Replica 0 of 3 following leader 1 in term 1, holding entries 1..3 through the slow path. */
    private static RaftReplica follower(Recording out) {
        RaftReplica r = new RaftReplica(3, 0, RaftSettings.DEFAULT, new KvStore(), out, () -> 0);
        r.start();
        r.onReplicaMessage(1, append(1, 1, 0, 0, 3));
        assertEquals(3, r.lastIndex());
        assertEquals(3, r.verifiedIndex(), "the kernel may acknowledge above the verified end");
        assertEquals(true, out.normal.get(out.normal.size() - 1));
        return r;
    }

    private static RequestVoteResponse voteOf(Recording out) {
        for (int i = out.sent.size() - 1; i >= 0; i--) if (out.sent.get(i) instanceof RequestVoteResponse v) return v;
        throw new AssertionError("no vote sent");
    }

    @Test
    void kernelAcknowledgedEntriesJoinTheLogBeforeTheReplicaVotes() {
        Recording out = new Recording();
        RaftReplica r = follower(out);
        out.kernelAcked = List.of(append(1, 1, 3, 1, 2)); // the kernel acknowledged 4..5 for leader 1
        r.onReplicaMessage(2, RequestVote.newBuilder().setTerm(2).setCandidate(2).setLastLogIndex(3).setLastLogTerm(1).build());
        assertEquals(false, out.normal.get(out.normal.size() - 1), "the kernel stopped acknowledging first");
        assertEquals(5, r.lastIndex(), "the fence took 4..5 into the log");
        assertEquals(1, r.stats().fastAppendsAtFence);
        assertFalse(voteOf(out).getGranted(), "a candidate without entries 4..5 is refused");
    }

    @Test
    void withNothingAcknowledgedInTheKernelTheSameCandidateIsElected() {
        Recording out = new Recording();
        RaftReplica r = follower(out);
        r.onReplicaMessage(2, RequestVote.newBuilder().setTerm(2).setCandidate(2).setLastLogIndex(3).setLastLogTerm(1).build());
        assertTrue(voteOf(out).getGranted());
    }

    @Test
    void aFollowerOfALiveLeaderDoesNotVoteInItsTerm() {
        Recording out = new Recording();
        RaftReplica r = follower(out);
        r.onReplicaMessage(2, RequestVote.newBuilder().setTerm(1).setCandidate(2).setLastLogIndex(9).setLastLogTerm(1).build());
        assertFalse(voteOf(out).getGranted());
        assertEquals(true, out.normal.get(out.normal.size() - 1), "still following: the kernel goes on");
    }

    @Test
    void kernelAcknowledgedAppendsAreAppliedWithoutAResponse() {
        Recording out = new Recording();
        RaftReplica r = follower(out);
        int before = out.sent.size();
        r.onFastAckedAppend(append(1, 1, 3, 1, 2), false);
        assertEquals(5, r.lastIndex());
        assertEquals(5, r.verifiedIndex());
        assertEquals(before, out.sent.size(), "the kernel already answered");
        r.onFastAckedAppend(append(1, 1, 7, 1, 1), false); // a gap the kernel cannot have acknowledged
        assertEquals(1, r.stats().kernelAcksUnusable);
    }
}
