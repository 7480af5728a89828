package dev.electrode.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvOps;
import dev.electrode.app.proto.KvResult;
import dev.electrode.wire.FastMeta;
import dev.electrode.wire.proto.ReplyMessage;
import dev.electrode.wire.proto.Request;
import dev.electrode.wire.proto.RequestMessage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A closed-loop client like the reference prototype's: each request goes to every replica,
 * only the leader answers, and an unanswered request is resent to all after a timeout.
 * Every operation is a put of a unique key, so lost or repeated writes are visible.
 */
public final class SimClient {
    private static final long RESEND_MICROS = 40_000;
    /** Pause between a reply and the next request, so a workload spans the faults of a scenario. */
    static final long THINK_MICROS = 5_000;

    private final SimCluster sim;
    private final int endpoint;
    private final long clientId;
    private final int totalOps;
    private long reqId;
    private ByteString key;
    private ByteString value;
    private long generation;
    private final Map<ByteString, ByteString> acknowledged = new LinkedHashMap<>();

    SimClient(SimCluster sim, int endpoint, long clientId, int totalOps) {
        this.sim = sim;
        this.endpoint = endpoint;
        this.clientId = clientId;
        this.totalOps = totalOps;
    }

    /** Starts issuing operations. */
    public void start() { next(); }

    public boolean done() { return acknowledged.size() == totalOps; }

    /** Puts that a reply confirmed, key to value. */
    public Map<ByteString, ByteString> acknowledged() { return acknowledged; }

    private void next() {
        if (done()) return;
        reqId++;
        key = ByteString.copyFromUtf8("c" + Long.toHexString(clientId) + "-k" + reqId);
        value = ByteString.copyFromUtf8("v" + reqId);
        send();
    }

    private void send() {
        Request req = Request.newBuilder().setOp(KvOps.put(key, value)).setClientid(clientId).setClientreqid(reqId).build();
        RequestMessage m = RequestMessage.newBuilder().setReq(req).build();
        for (int i = 0; i < sim.n; i++) sim.send(endpoint, i, m, FastMeta.ZERO);
        long gen = ++generation;
        sim.schedule(RESEND_MICROS, () -> {
            if (gen == generation && !done()) send();
        });
    }

    void onMessage(Message m) {
        if (!(m instanceof ReplyMessage r) || r.getClientreqid() != reqId || done() || acknowledged.containsKey(key)) return;
        KvResult res = KvOps.result(r.getReply());
        if (res.getStatus() != KvResult.Status.OK || res.getHadValue())
            sim.violations.add("seed " + sim.seed + ": put of fresh key " + key.toStringUtf8() + " answered " + res);
        acknowledged.put(key, value);
        generation++;
        sim.schedule(THINK_MICROS, this::next);
    }

    @Override
    public String toString() {
        return "client" + endpoint + "(" + acknowledged.size() + "/" + totalOps + ")";
    }
}
