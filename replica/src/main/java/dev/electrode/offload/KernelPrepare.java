package dev.electrode.offload;

import java.nio.ByteBuffer;

/**
 * One Prepare a fast-ack offload acknowledged, as its kernel log record holds it: the view and
 * opnum range the kernel acknowledged, the sender it saw, and the protobuf PrepareMessage body.
 *
 * @param senderIpv4 the source IPv4 address, first octet in the highest byte
 * @param senderMac  the source MAC address in the low 48 bits, first octet highest
 * @param body       valid only during the {@link ReplicaOffloads.PrepareSink} call
 */
public record KernelPrepare(long view, long opnum, long batchStart, int senderIpv4, int senderPort, long senderMac,
                            ByteBuffer body) {}
