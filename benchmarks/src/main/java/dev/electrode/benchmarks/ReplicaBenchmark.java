package dev.electrode.benchmarks;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.electrode.app.KvOps;
import dev.electrode.app.KvStore;
import dev.electrode.app.ClientAddress;
import dev.electrode.app.ClientTable;
import dev.electrode.vr.Outbox;
import dev.electrode.vr.VrReplica;
import dev.electrode.vr.VrSettings;
import dev.electrode.vr.VrTimer;
import dev.electrode.wire.proto.*;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The VR core's hot paths without I/O: a leader taking a request, closing a batch and
 * committing it on an ACK (batch assembly and execution), and the client-table lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReplicaBenchmark {
    private static final ClientAddress CLIENT = new ClientAddress() {};
    /** Swallows the core's output. */
    static final class NullOutbox implements Outbox {
        Blackhole bh;
        @Override public void toReplica(int idx, Message m) { bh.consume(m); }
        @Override public void toAllReplicas(Message m) { bh.consume(m); }
        @Override public void toClient(ClientAddress clientAddress, Message m) { bh.consume(m); }
        @Override public void setTimer(VrTimer timer, long delayMicros) { }
        @Override public void cancelTimer(VrTimer timer) { }
    }

    VrReplica leader;
    NullOutbox outbox = new NullOutbox();
    long reqId;
    ByteString op = KvOps.put("key", "value-of-sixty-four-bytes-............................");
    ClientTable table = new ClientTable();

    @Setup(Level.Iteration)
    public void setup(Blackhole bh) {
        outbox.bh = bh;
        leader = new VrReplica(3, 0, VrSettings.DEFAULT.withBatchSize(1), new KvStore(), outbox, false, () -> 1);
        leader.start();
        reqId = 0;
        for (long c = 0; c < 10_000; c++) table.executed(c, 1, ReplyMessage.getDefaultInstance());
    }

    /** One operation at the leader: request in, Prepare out, ACK in, execute, reply and Commit out. */
    @Benchmark
    public long requestPrepareAckCommit() {
        long id = ++reqId;
        leader.onClientMessage(CLIENT, RequestMessage.newBuilder()
                .setReq(Request.newBuilder().setOp(op).setClientid(42).setClientreqid(id)).build());
        leader.onReplicaMessage(1, PrepareOKMessage.newBuilder().setView(0).setOpnum(leader.lastOp()).setReplicaIdx(1).build());
        return leader.commitNum();
    }

    /** The same, with the ACK taken by its fields, as the server takes a follower's kernel-built MyPrepareOK. */
    @Benchmark
    public long requestPrepareKernelAckCommit() {
        long id = ++reqId;
        leader.onClientMessage(CLIENT, RequestMessage.newBuilder()
                .setReq(Request.newBuilder().setOp(op).setClientid(42).setClientreqid(id)).build());
        leader.onPrepareOk(1, 0, leader.lastOp(), 1);
        return leader.commitNum();
    }

    @Benchmark
    public ClientTable.Entry clientTableLookup() {
        return table.get(++reqId % 10_000);
    }
}
