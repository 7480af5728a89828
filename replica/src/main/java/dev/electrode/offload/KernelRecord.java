package dev.electrode.offload;

import java.nio.ByteBuffer;

/**
 * One append the fast-ack offload acknowledged, as its kernel log record holds it: the epoch
 * (view or term) and index range the kernel acknowledged, the sender it saw, and the message
 * body (for VR, the protobuf PrepareMessage).
 *
 * @param senderIpv4 the source IPv4 address, first octet in the highest byte
 * @param senderMac  the source MAC address in the low 48 bits, first octet highest
 * @param body       valid only during the {@link Offloads.RecordSink} call
 */
public record KernelRecord(long epoch, long lastIndex, long firstIndex, int senderIpv4, int senderPort, long senderMac,
                           ByteBuffer body) {}
