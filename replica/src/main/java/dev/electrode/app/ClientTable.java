package dev.electrode.app;

import dev.electrode.vr.proto.ClientRecord;
import dev.electrode.wire.proto.ReplyMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Per client, the newest executed request id and its reply: the basis of at-most-once
 * execution. Updated only by execution, so it is identical on every replica at the same
 * commit point; snapshots carry it, so at-most-once execution survives restarts.
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

    /** The table as snapshot records, ordered by client id (equal tables give equal bytes). */
    public List<ClientRecord> records() {
        List<ClientRecord> out = new ArrayList<>(entries.size());
        entries.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> out.add(ClientRecord.newBuilder()
                .setClientId(e.getKey()).setRequestId(e.getValue().requestId()).setReply(e.getValue().reply()).build()));
        return out;
    }

    /**
     * Replaces the table with {@code records} from a snapshot.
     *
     * @throws IllegalArgumentException if a client appears twice or a record lacks its reply; the table is then unchanged
     */
    public void restore(List<ClientRecord> records) {
        Map<Long, Entry> restored = new HashMap<>();
        for (ClientRecord r : records) {
            if (!r.hasReply() || !r.getReply().isInitialized())
                throw new IllegalArgumentException("client record of " + r.getClientId() + " has no complete reply");
            if (restored.put(r.getClientId(), new Entry(r.getRequestId(), r.getReply())) != null)
                throw new IllegalArgumentException("client " + r.getClientId() + " appears twice in the snapshot");
        }
        entries.clear();
        entries.putAll(restored);
    }

    /** Replaces this table's contents with {@code other}'s. */
    public void takeFrom(ClientTable other) {
        entries.clear();
        entries.putAll(other.entries);
    }
}
