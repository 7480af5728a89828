package dev.electrode.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.raft.proto.*;
import dev.electrode.wire.proto.Request;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.*;

/** Raft's messages on the shared framing: every one round-trips, and the fast meta follows the offload layer's convention. */
class RaftWireTest {
    private static AppendEntries append(long prev, int count) {
        AppendEntries.Builder b = AppendEntries.newBuilder().setTerm(7).setLeader(1).setPrevLogIndex(prev).setPrevLogTerm(6).setLeaderCommit(prev);
        for (int i = 1; i <= count; i++)
            b.addEntries(Entry.newBuilder().setTerm(7).setIndex(prev + i)
                    .setRequest(Request.newBuilder().setOp(ByteString.copyFromUtf8("x")).setClientid(3).setClientreqid(i)));
        return b.build();
    }

    private static Frame roundTrip(Message m) {
        MessageType t = MessageType.of(m);
        byte[] bytes = FrameEncoder.encode(t, m, FastMeta.forMessage(t, m));
        DecodeResult r = FrameDecoder.decodeStandalone(ByteBuffer.wrap(bytes));
        Frame f = assertInstanceOf(DecodeResult.Decoded.class, r).frame();
        assertEquals(t, f.type());
        assertEquals(m, f.body());
        return f;
    }

    @Test
    void everyRaftMessageRoundTrips() {
        roundTrip(append(10, 3));
        roundTrip(AppendEntriesResponse.newBuilder().setTerm(7).setFollower(2).setMatchIndex(13).build());
        roundTrip(AppendEntriesReject.newBuilder().setTerm(7).setFollower(2).setHintIndex(4).build());
        roundTrip(RequestVote.newBuilder().setTerm(8).setCandidate(2).setLastLogIndex(13).setLastLogTerm(7).build());
        roundTrip(RequestVoteResponse.newBuilder().setTerm(8).setVoter(0).setGranted(true).build());
    }

    @Test
    void fastMetaPlacesTheFieldsWhereRaftsProtocolSays() {
        assertEquals(new FastMeta(11, 13, 7), roundTrip(append(10, 3)).meta(), "{first index, last index, term}");
        FastMeta heartbeat = roundTrip(append(10, 0)).meta();
        assertTrue(heartbeat.a() > heartbeat.b(), "a heartbeat's first index is above its last: never fast-acknowledged");
        assertEquals(new FastMeta(2, 7, 13),
                roundTrip(AppendEntriesResponse.newBuilder().setTerm(7).setFollower(2).setMatchIndex(13).build()).meta(), "{sender, term, index}");
        assertEquals(new FastMeta(11, 13, 7 | WireFormat.BROADCAST_BIT),
                FastMeta.forMessage(MessageType.APPEND_ENTRIES, append(10, 3)).withBroadcastBit(RaftOffloadProtocol.APPEND_SLOTS.epoch()),
                "the broadcast bit rides in the term's word");
        assertEquals(FastMeta.ZERO, roundTrip(AppendEntriesReject.newBuilder().setTerm(7).setFollower(2).setHintIndex(4).build()).meta(),
                "a reject looks like no acknowledgement");
    }

    @Test
    void theKernelBuiltAckIsARawStructDecodedAsAResponse() {
        AppendEntriesResponse ok = AppendEntriesResponse.newBuilder().setTerm(7).setFollower(2).setMatchIndex(13).build();
        byte[] bytes = FrameEncoder.encode(MessageType.RAFT_FAST_ACK, ok, FastMeta.forMessage(MessageType.RAFT_FAST_ACK, ok));
        assertEquals(WireFormat.FIXED_OVERHEAD + MessageType.RAFT_FAST_ACK.typeName().length() + WireFormat.MY_PREPARE_OK_BODY_LEN, bytes.length);
        Frame f = assertInstanceOf(DecodeResult.Decoded.class, FrameDecoder.decodeStandalone(ByteBuffer.wrap(bytes))).frame();
        assertEquals(MessageType.RAFT_FAST_ACK, f.type());
        assertEquals(ok, f.body());
        assertEquals(RaftOffloadProtocol.MESSAGES.fastAck(), MessageType.RAFT_FAST_ACK.typeName());
    }
}
