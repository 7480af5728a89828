package dev.electrode.wire;

import com.google.protobuf.Message;

/** One decoded message: its wire type, its body and the fast meta it carried. */
public record Frame(MessageType type, Message body, FastMeta meta) {
    /** A frame with the meta the prototype would write for this body. */
    public static Frame of(Message body) {
        MessageType t = MessageType.of(body);
        return new Frame(t, body, FastMeta.forMessage(t, body));
    }
}
