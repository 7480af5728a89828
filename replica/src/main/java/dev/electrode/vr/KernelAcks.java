package dev.electrode.vr;

import dev.electrode.wire.proto.PrepareMessage;

import java.util.List;

/**
 * What a fast-ack offload acknowledged for a follower that the core had not been given yet,
 * collected when the follower leaves NORMAL status ({@link Outbox#stopFastAcks}).
 *
 * @param prepares the usable Prepares, in ring order
 * @param lost     true if the kernel acknowledged a Prepare that user space could not use (a
 *                 body that does not decode or disagrees with what the kernel acknowledged):
 *                 the replica no longer holds all it promised and must not vote
 */
public record KernelAcks(List<PrepareMessage> prepares, boolean lost) {
    /** Nothing acknowledged, nothing lost. */
    public static final KernelAcks NONE = new KernelAcks(List.of(), false);
}
