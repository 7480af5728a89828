package dev.electrode.vr;

import dev.electrode.wire.proto.ReplyMessage;

import java.util.HashMap;
import java.util.Map;

/**
 * Per client, the newest executed request id and its reply: the basis of at-most-once
 * execution. Updated only by execution, so it is identical on every replica at the same
 * commit point.
 */
public final class ClientTable {
    /** The last executed request of one client. */
    public record Entry(long requestId, ReplyMessage reply) {}

    private final Map<Long, Entry> entries = new HashMap<>();

    /** The newest executed request of {@code clientId}, or null. */
    public Entry get(long clientId) { return entries.get(clientId); }

    /** Records the execution of request {@code requestId}. */
    public void executed(long clientId, long requestId, ReplyMessage reply) {
        entries.put(clientId, new Entry(requestId, reply));
    }

    /** Number of clients known. */
    public int size() { return entries.size(); }
}
