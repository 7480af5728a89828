package dev.electrode.wire;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.electrode.raft.proto.*;
import dev.electrode.vr.proto.SnapshotChunkMessage;
import dev.electrode.vr.proto.SnapshotRequestMessage;
import dev.electrode.wire.proto.*;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Every message kind that may appear on the replica port, with its wire type name. */
public enum MessageType {
    REQUEST("specpaxos.vr.proto.RequestMessage", RequestMessage.parser(), RequestMessage.class),
    REPLY("specpaxos.vr.proto.ReplyMessage", ReplyMessage.parser(), ReplyMessage.class),
    UNLOGGED_REQUEST("specpaxos.vr.proto.UnloggedRequestMessage", UnloggedRequestMessage.parser(), UnloggedRequestMessage.class),
    UNLOGGED_REPLY("specpaxos.vr.proto.UnloggedReplyMessage", UnloggedReplyMessage.parser(), UnloggedReplyMessage.class),
    PREPARE("specpaxos.vr.proto.PrepareMessage", PrepareMessage.parser(), PrepareMessage.class),
    PREPARE_OK("specpaxos.vr.proto.PrepareOKMessage", PrepareOKMessage.parser(), PrepareOKMessage.class),
    /** The kernel-built acknowledgement: decoded into a PrepareOKMessage, but its body is a raw struct. */
    MY_PREPARE_OK("specpaxos.vr.MyPrepareOK", null, null),
    COMMIT("specpaxos.vr.proto.CommitMessage", CommitMessage.parser(), CommitMessage.class),
    REQUEST_STATE_TRANSFER("specpaxos.vr.proto.RequestStateTransferMessage", RequestStateTransferMessage.parser(), RequestStateTransferMessage.class),
    STATE_TRANSFER("specpaxos.vr.proto.StateTransferMessage", StateTransferMessage.parser(), StateTransferMessage.class),
    START_VIEW_CHANGE("specpaxos.vr.proto.StartViewChangeMessage", StartViewChangeMessage.parser(), StartViewChangeMessage.class),
    DO_VIEW_CHANGE("specpaxos.vr.proto.DoViewChangeMessage", DoViewChangeMessage.parser(), DoViewChangeMessage.class),
    START_VIEW("specpaxos.vr.proto.StartViewMessage", StartViewMessage.parser(), StartViewMessage.class),
    RECOVERY("specpaxos.vr.proto.RecoveryMessage", RecoveryMessage.parser(), RecoveryMessage.class),
    RECOVERY_RESPONSE("specpaxos.vr.proto.RecoveryResponseMessage", RecoveryResponseMessage.parser(), RecoveryResponseMessage.class),
    /** This project's own: a lagging replica asks for a piece of the leader's snapshot. */
    SNAPSHOT_REQUEST("electrode.vr.SnapshotRequestMessage", SnapshotRequestMessage.parser(), SnapshotRequestMessage.class),
    /** This project's own: a piece of the leader's snapshot. */
    SNAPSHOT_CHUNK("electrode.vr.SnapshotChunkMessage", SnapshotChunkMessage.parser(), SnapshotChunkMessage.class),
    /** Raft: the leader's log append (and heartbeat). */
    APPEND_ENTRIES("electrode.raft.AppendEntries", AppendEntries.parser(), AppendEntries.class),
    /** Raft: a follower holds the leader's log up to an index. */
    APPEND_ENTRIES_RESPONSE("electrode.raft.AppendEntriesResponse", AppendEntriesResponse.parser(), AppendEntriesResponse.class),
    /** Raft: the kernel-built acknowledgement, decoded into an AppendEntriesResponse; its body is a raw struct. */
    RAFT_FAST_ACK("electrode.raft.FastAckOK", null, null),
    /** Raft: a follower's log does not match. */
    APPEND_ENTRIES_REJECT("electrode.raft.AppendEntriesReject", AppendEntriesReject.parser(), AppendEntriesReject.class),
    REQUEST_VOTE("electrode.raft.RequestVote", RequestVote.parser(), RequestVote.class),
    REQUEST_VOTE_RESPONSE("electrode.raft.RequestVoteResponse", RequestVoteResponse.parser(), RequestVoteResponse.class),
    /** Raft: the leader's snapshot, for a follower behind its compacted log. */
    INSTALL_SNAPSHOT("electrode.raft.InstallSnapshot", InstallSnapshot.parser(), InstallSnapshot.class);

    private final String typeName;
    private final byte[] typeNameBytes;
    private final Parser<? extends Message> parser;
    private final Class<? extends Message> bodyClass;

    MessageType(String typeName, Parser<? extends Message> parser, Class<? extends Message> bodyClass) {
        this.typeName = typeName;
        this.typeNameBytes = typeName.getBytes(StandardCharsets.US_ASCII);
        this.parser = parser;
        this.bodyClass = bodyClass;
    }

    private static final MessageType[] VALUES = values();
    private static final Map<Class<?>, MessageType> BY_CLASS = new HashMap<>();
    static {
        for (MessageType t : VALUES) {
            if (t.bodyClass != null) BY_CLASS.put(t.bodyClass, t);
        }
    }

    /** True for the acknowledgements XDP builds: their body is a raw struct (epoch u64, index u64, sender u32), not protobuf. */
    public boolean kernelBuilt() { return this == MY_PREPARE_OK || this == RAFT_FAST_ACK; }

    /** The protobuf full type name written on the wire. */
    public String typeName() { return typeName; }

    byte[] typeNameBytes() { return typeNameBytes; }

    Parser<? extends Message> parser() { return parser; }

    /** The type whose body is this protobuf message (PrepareOKMessage maps to PREPARE_OK). */
    public static MessageType of(Message body) {
        MessageType t = BY_CLASS.get(body.getClass());
        if (t == null) throw new IllegalArgumentException("not a wire message: " + body.getClass().getName());
        return t;
    }

    /** Finds the type whose name equals {@code len} bytes at {@code buf[off]}, or null. */
    static MessageType lookup(java.nio.ByteBuffer buf, int off, int len) {
        for (MessageType t : VALUES) {
            byte[] name = t.typeNameBytes;
            if (name.length != len) continue;
            int i = 0;
            while (i < len && buf.get(off + i) == name[i]) i++;
            if (i == len) return t;
        }
        return null;
    }
}
