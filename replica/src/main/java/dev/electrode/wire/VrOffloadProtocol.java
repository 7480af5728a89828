package dev.electrode.wire;

import dev.electrode.offload.OffloadProtocol;

/** The VR messages the offloads act on, by their wire type names. */
public final class VrOffloadProtocol {
    private VrOffloadProtocol() {}

    /** Prepare is the append, PrepareOK the ack, MyPrepareOK the kernel-built ack, Commit the broadcast. */
    public static final OffloadProtocol MESSAGES = new OffloadProtocol(MessageType.PREPARE.typeName(), MessageType.PREPARE_OK.typeName(),
            MessageType.MY_PREPARE_OK.typeName(), MessageType.COMMIT.typeName());
}
