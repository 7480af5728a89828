package dev.electrode.bpf;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.raft.proto.AppendEntries;
import dev.electrode.raft.proto.AppendEntriesResponse;
import dev.electrode.raft.proto.Entry;
import dev.electrode.wire.DecodeResult;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.FrameDecoder;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.RaftOffloadProtocol;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

import static dev.electrode.bpf.BpfFixture.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The same programs, loaded with Raft's message names, offload Raft: a follower's XDP
 * acknowledges an in-order AppendEntries of its term with the kernel-built FastAckOK, and the
 * leader's XDP passes only the quorum-completing AppendEntriesResponse. Nothing VR-specific runs.
 */
class RaftOffloadTest {
    private static BpfFixture raft(int n) { return new BpfFixture(n, EnumSet.allOf(Offload.class), RaftOffloadProtocol.MESSAGES); }

    private static AppendEntries append(long term, int leader, long prev, int count) {
        AppendEntries.Builder b = AppendEntries.newBuilder().setTerm(term).setLeader(leader).setPrevLogIndex(prev).setPrevLogTerm(term)
                .setLeaderCommit(prev);
        for (int i = 1; i <= count; i++) {
            Request r = Request.newBuilder().setOp(ByteString.copyFromUtf8("op" + (prev + i))).setClientid(9).setClientreqid(prev + i).build();
            b.addEntries(Entry.newBuilder().setTerm(term).setIndex(prev + i).setRequest(r));
        }
        return b.build();
    }

    private static byte[] frame(int from, int to, MessageType t, Message m) {
        return Frames.frame(from, to, Frames.payload(t, m, FastMeta.forMessage(t, m)));
    }

    /** The UDP payload of a frame with a 20-byte IPv4 header, decoded. */
    private static DecodeResult.Decoded decode(byte[] frame) {
        int p = Frames.ETH + Frames.IP + Frames.UDP;
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(Arrays.copyOfRange(frame, p, frame.length)));
        return assertInstanceOf(DecodeResult.Decoded.class, r);
    }

    @Test
    void followerAcknowledgesAnInOrderAppendEntriesInXdp() {
        try (BpfFixture fx = raft(3).as(1, 5, 10)) { // replica 1, term 5 (leader 5 % 3 = 2), log ends at 10
            AppendEntries ae = append(5, 2, 10, 3);
            TestRun.Result r = fx.xdp(frame(2, 1, MessageType.APPEND_ENTRIES, ae));
            assertEquals(XDP_TX, r.retval());
            DecodeResult.Decoded reply = decode(r.frame());
            assertEquals(MessageType.RAFT_FAST_ACK, reply.frame().type());
            assertEquals(AppendEntriesResponse.newBuilder().setTerm(5).setFollower(1).setMatchIndex(13).build(), reply.frame().body());
            assertEquals(Frames.udpChecksum(r.frame()), Frames.storedUdpChecksum(r.frame()));

            List<BpfFixture.Record> recs = fx.drain();
            assertEquals(1, recs.size());
            assertEquals(11, recs.get(0).batchStart());
            assertEquals(13, recs.get(0).opnum());
            assertArrayEquals(ae.toByteArray(), recs.get(0).body(), "the ring holds the AppendEntries body");
            assertEquals(13, fx.bpf.readControl().lastOp());
        }
    }

    @Test
    void heartbeatsGapsAndOtherTermsGoToUserSpace() {
        try (BpfFixture fx = raft(3).as(1, 5, 10)) {
            assertEquals(XDP_PASS, fx.xdp(frame(2, 1, MessageType.APPEND_ENTRIES, append(5, 2, 10, 0))).retval(), "a heartbeat");
            assertEquals(XDP_PASS, fx.xdp(frame(2, 1, MessageType.APPEND_ENTRIES, append(5, 2, 12, 1))).retval(), "a gap");
            assertEquals(XDP_PASS, fx.xdp(frame(2, 1, MessageType.APPEND_ENTRIES, append(6, 0, 10, 1))).retval(), "a newer term");
            assertEquals(XDP_DROP, fx.xdp(frame(2, 1, MessageType.APPEND_ENTRIES, append(4, 1, 10, 1))).retval(), "an older term");
            assertEquals(XDP_PASS, fx.xdp(Frames.prepareFrame(2, 1, Frames.prepare(5, 11, 11, 8), false)).retval(), "a VR Prepare");
            assertEquals(0, fx.bpf.counter(Counter.FAST_ACKED));
            assertTrue(fx.drain().isEmpty());
        }
    }

    @Test
    void leaderPassesOnlyTheQuorumCompletingResponse() {
        try (BpfFixture fx = raft(5).as(0, 5, 40)) { // the leader of term 5 in 5 replicas is 0
            assertEquals(TC_ACT_OK, fx.tc(frame(0, 1, MessageType.APPEND_ENTRIES, append(5, 0, 40, 1))).retval());
            assertEquals(new QuorumEntry(5, 41, 0), fx.bpf.readQuorum(41));
            int[] expected = {XDP_DROP, XDP_PASS, XDP_DROP, XDP_DROP}; // f = 2: the second distinct ack completes it
            for (int r = 1; r <= 4; r++) {
                AppendEntriesResponse ok = AppendEntriesResponse.newBuilder().setTerm(5).setFollower(r).setMatchIndex(41).build();
                MessageType t = r % 2 == 0 ? MessageType.RAFT_FAST_ACK : MessageType.APPEND_ENTRIES_RESPONSE;
                TestRun.Result res = fx.xdp(frame(r, 0, t, ok));
                assertEquals(expected[r - 1], res.retval(), "response from " + r);
                if (res.retval() == XDP_PASS)
                    assertEquals(Layouts.QUORUM_FLAG | 0b110, QuorumPruneTest.metaWord(res.frame(), RaftOffloadProtocol.ACK_SLOTS.third()),
                            "it carries the acknowledging set in Raft's sender word (word a)");
            }
        }
    }
}
