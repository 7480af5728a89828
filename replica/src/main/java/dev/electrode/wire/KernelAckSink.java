package dev.electrode.wire;

/**
 * Receives a kernel-built acknowledgement (MyPrepareOK, RaftFastAck) as its fields, so that
 * the hottest message a leader decodes costs no allocation: no body, meta or frame is built.
 */
@FunctionalInterface
public interface KernelAckSink {
    /**
     * {@code type} is a kernel-built type; {@code epoch}, {@code index} and {@code sender} are the
     * body's three fields (view or term, opnum or match index, replica); meta words as the frame carried them.
     */
    void onKernelAck(MessageType type, long epoch, long index, int sender, int metaA, int metaB, int metaC);
}
