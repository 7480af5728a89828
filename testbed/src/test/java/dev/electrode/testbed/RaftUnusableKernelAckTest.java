package dev.electrode.testbed;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Frames;
import dev.electrode.bpf.Offload;
import dev.electrode.bpf.TestRun;
import dev.electrode.client.VrClient;
import dev.electrode.raft.RaftReplica;
import dev.electrode.wire.MessageType;
import dev.electrode.wire.RaftOffloadProtocol;
import dev.electrode.wire.WireFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A Raft follower's live XDP program acknowledges an AppendEntries whose body does not decode
 * (the frame carries the leader's addresses and valid checksums, and Raft's meta). Its replica
 * finds the record unusable, reports it, and owes what its kernel promised: it leaves the fast
 * path, takes the entry from the leader on the slow path, pays, and returns to the fast path;
 * no election, nothing lost.
 */
@Testbed(protocol = ReplicationProtocol.RAFT, replicas = 3, viewChangeMs = 2000, capture = false,
        offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RaftUnusableKernelAckTest {
    @Test
    void aKernelAckWithAnUndecodableBodyIsOwedUntilTheLeaderSendsTheEntryAgain(TestbedEnv env) throws Exception {
        env.allowErrors("KERNEL_RECORD_UNUSABLE"); // the point of this test
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 20; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        long term = env.raft(0).query(RaftReplica::term);
        var control = env.offloads(1).bpf().readControl();
        long next = control.lastOp() + 1;

        // The next entry as the leader would address it, with a body that is no protobuf AppendEntries.
        byte[] body = new byte[40];
        java.util.Arrays.fill(body, (byte) 0xff);
        String type = MessageType.APPEND_ENTRIES.typeName();
        int[] meta = RaftOffloadProtocol.APPEND_SLOTS.words((int) term, (int) next, (int) next);
        ByteBuffer p = ByteBuffer.allocate(32 + type.length() + body.length).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt(WireFormat.NONFRAG_MAGIC).putLong(type.length()).put(type.getBytes())
                .putInt(meta[0]).putInt(meta[1]).putInt(meta[2]).putLong(body.length).put(body);
        byte[] frame = Frames.frame(env.host(0).mac(), env.host(0).address().getAddress(), TestbedEnv.PORT,
                env.host(1).mac(), env.host(1).address().getAddress(), TestbedEnv.PORT, p.array());
        long fastBefore = env.offloads(1).bpf().counter(Counter.FAST_ACKED);
        // Run it through follower 1's attached program: same maps, same ring, as if it had arrived.
        TestRun.Result r = new TestRun().run(env.offloads(1).bpf().xdpProgramFd(), frame, 1);
        assertEquals(3, r.retval(), "XDP_TX: the kernel acknowledged it");
        assertEquals(next, env.offloads(1).bpf().readControl().lastOp());

        await().atMost(Duration.ofSeconds(10)).until(() -> env.raft(1).query(v -> v.stats().kernelAckDebts) == 1);
        assertEquals(1, env.raft(1).server().kernelRecordsRejected());
        assertEquals(Map.of(dev.electrode.server.ReplicaErrors.Kind.KERNEL_RECORD_UNUSABLE, 1L), env.raft(1).server().errors().counts(),
                "the error channel of follower 1");
        for (int i = 20; i < 40; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        await().atMost(Duration.ofSeconds(10)).until(() -> env.raft(1).query(v -> v.stats().kernelAckDebtsPaid) == 1);
        long fastAfterPaid = env.offloads(1).bpf().counter(Counter.FAST_ACKED);
        for (int i = 40; i < 60; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        assertTrue(env.offloads(1).bpf().counter(Counter.FAST_ACKED) >= fastAfterPaid + 20, "follower 1 is back on the fast path");
        assertTrue(fastAfterPaid >= fastBefore, "counters only grow");
        s.invokeSync(KvOps.put("last", "x")); // carries the commit point of k59 to the followers
        await().atMost(Duration.ofSeconds(10)).until(() -> "v59".equals(env.raft(1).store(kv -> {
            ByteString v = kv.get(ByteString.copyFromUtf8("k59"));
            return v == null ? null : v.toStringUtf8();
        })));
        assertEquals(term, (long) env.raft(0).query(RaftReplica::term), "no election");
        assertEquals(0, env.raft(1).query(v -> v.stats().electionsStarted).longValue());
    }
}
