package dev.electrode.testbed;

import dev.electrode.app.KvOps;
import dev.electrode.bpf.Frames;
import dev.electrode.bpf.Offload;
import dev.electrode.bpf.TestRun;
import dev.electrode.client.VrClient;
import dev.electrode.server.KernelPrepareCheck;
import dev.electrode.vr.Status;
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
 * A follower's live XDP program acknowledges a Prepare whose body does not decode (XDP does not
 * parse protobuf; the frame carries the leader's addresses and valid checksums). Its replica
 * finds the record unusable when it drains the ring, says so, counts it, stops acknowledging
 * and rejoins through recovery; the cluster keeps every acknowledged write.
 */
@Testbed(replicas = 3, viewChangeMs = 2000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class UnusableKernelAckTest {
    @Test
    void aKernelAckWithAnUndecodableBodySendsTheFollowerIntoRecovery(TestbedEnv env) throws Exception {
        env.allowErrors("KERNEL_RECORD_UNUSABLE"); // the point of this test
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 20; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        env.awaitCommitted(20, Duration.ofSeconds(10));
        long next = env.inJvm(1).query(v -> v.lastOp()) + 1;

        // The next op, as the leader would address it, with a body that is no protobuf PrepareMessage.
        byte[] body = new byte[40];
        java.util.Arrays.fill(body, (byte) 0xff);
        String type = "specpaxos.vr.proto.PrepareMessage";
        ByteBuffer p = ByteBuffer.allocate(32 + type.length() + body.length).order(ByteOrder.LITTLE_ENDIAN);
        p.putInt(WireFormat.NONFRAG_MAGIC).putLong(type.length()).put(type.getBytes())
                .putInt(0).putInt((int) next).putInt((int) next).putLong(body.length).put(body);
        byte[] frame = Frames.frame(env.host(0).mac(), env.host(0).address().getAddress(), TestbedEnv.PORT,
                env.host(1).mac(), env.host(1).address().getAddress(), TestbedEnv.PORT, p.array());
        // Run it through follower 1's attached program: same maps, same ring, as if it had arrived.
        TestRun.Result r = new TestRun().run(env.offloads(1).bpf().xdpProgramFd(), frame, 1);
        assertEquals(3, r.retval(), "XDP_TX: the kernel acknowledged it");
        assertEquals(next, env.offloads(1).bpf().readControl().lastOp());

        await().atMost(Duration.ofSeconds(10)).until(() -> env.inJvm(1).query(v -> v.stats().kernelAcksUnusable) == 1);
        assertEquals(Map.of(KernelPrepareCheck.Rejection.BAD_BODY, 1L), env.inJvm(1).server().kernelAckRejections());
        assertEquals(Map.of(dev.electrode.server.ReplicaErrors.Kind.KERNEL_RECORD_UNUSABLE, 1L), env.inJvm(1).server().errors().counts(),
                "the error channel of follower 1");
        await().atMost(Duration.ofSeconds(20)).until(() -> env.inJvm(1).query(v -> v.stats().recoveriesCompleted) == 1
                && env.inJvm(1).status() == Status.NORMAL);
        for (int i = 20; i < 40; i++) s.invokeSync(KvOps.put("k" + i, "v" + i));
        env.awaitCommitted(40, Duration.ofSeconds(10));
        assertEquals(env.inJvm(0).<String>store(kv -> kv.digest()), env.inJvm(1).<String>store(kv -> kv.digest()),
                "follower 1 holds the leader's state after recovery");
        assertEquals(0L, (long) env.inJvm(0).query(v -> v.view()), "no view change");
    }
}
