package dev.electrode.wire;

import dev.electrode.offload.OffloadProtocol;

/** The Raft messages the offloads act on: AppendEntries is the append, AppendEntriesResponse the ack. */
public final class RaftOffloadProtocol {
    private RaftOffloadProtocol() {}

    /** AppendEntries meta: {first index, last index, term | broadcast bit}. */
    public static final OffloadProtocol.MetaSlots APPEND_SLOTS = new OffloadProtocol.MetaSlots(2, 1, 0);
    /** AppendEntriesResponse (and the kernel-built FastAckOK) meta: {follower, term, match index}. */
    public static final OffloadProtocol.MetaSlots ACK_SLOTS = new OffloadProtocol.MetaSlots(1, 2, 0);

    /**
     * Raft has no broadcast-only message: AppendEntries itself is fanned out (heartbeats
     * included). Its meta places the fields otherwise than VR's, which the programs read from
     * the protocol map like the names.
     */
    public static final OffloadProtocol MESSAGES = new OffloadProtocol(MessageType.APPEND_ENTRIES.typeName(),
            MessageType.APPEND_ENTRIES_RESPONSE.typeName(), MessageType.RAFT_FAST_ACK.typeName(), null, APPEND_SLOTS, ACK_SLOTS);
}
