package dev.electrode.testbed;

import dev.electrode.capture.WireFrame;
import dev.electrode.bpf.Counter;
import dev.electrode.bpf.Offload;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Electrode mode, all offloads, n = 3: a seeded corpus of 20,000+ bad datagrams from the client
 * host and from a replica host while a workload runs. No follower acknowledges any of it, the
 * kernel's last_op never passes the leader's log, the workload never stalls for a view-change
 * timeout, and after the leader is killed every acknowledged write is still there.
 */
@Testbed(replicas = 3, capture = false, switchCaptures = true, captureFilter = "udp src port " + TestbedEnv.PORT, viewChangeMs = 1000, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE})
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BadInputElectrodeTest {
    /** MyPrepareOKs the follower's kernel sent: from its address and the replica port (the corpus sent some from its host too). */
    private static WireLog kernelAcks(WireLog wire, InetAddress follower) {
        return wire.ofType(MessageType.MY_PREPARE_OK).from(follower).where(f -> f.srcPort() == TestbedEnv.PORT, "from the replica port");
    }

    @Test
    void aCorpusOfBadInputIsNeverAcknowledgedAndTheClusterKeepsServing(TestbedEnv env) throws Exception {
        BadInputScenario sc = new BadInputScenario(Duration.ofMillis(1000), 20, 1); // paced so the captures keep every frame
        sc.run(env);
        assertNull(sc.lastOpViolation.get(), sc.lastOpViolation.get());
        sc.assertCommon(env, "electrode");

        // On the wire: every MyPrepareOK a follower sent answers a Prepare the leader sent it (same opnum),
        // and there are no more of them than such Prepares.
        InetAddress leader = env.host(0).address();
        for (int i = 1; i < 3; i++) {
            int h = i;
            InetAddress follower = env.host(i).address();
            // The captures lag the wire: wait until the follower's capture holds all its fast acks.
            long kernelAcks = env.offloads(h).bpf().counter(Counter.FAST_ACKED) + env.offloads(h).bpf().counter(Counter.REACKED);
            long deadline = System.nanoTime() + 20_000_000_000L;
            WireLog wire = env.switchWire(h);
            while (kernelAcks(wire, follower).count() < kernelAcks && System.nanoTime() < deadline) {
                Thread.sleep(200);
                wire = env.switchWire(h);
            }
            assertTrue(kernelAcks(wire, follower).count() >= kernelAcks, "follower " + h + ": the capture holds "
                    + kernelAcks(wire, follower).count() + " MyPrepareOKs of the kernel's " + kernelAcks + "\n"
                    + env.captureDiagnostics());
            Set<Long> genuine = new HashSet<>();
            wire.ofType(MessageType.PREPARE).from(leader).where(f -> f.srcPort() == TestbedEnv.PORT, "from the leader's port")
                    .frames().forEach(f -> genuine.add(f.opnum()));
            long acks = 0;
            for (WireFrame f : kernelAcks(wire, follower).frames()) {
                assertTrue(genuine.contains(f.opnum()), "follower " + i + " acknowledged op " + f.opnum()
                        + " that the leader never prepared: " + f + "\n" + env.captureDiagnostics());
                assertEquals(0, f.view(), "follower " + i + " acknowledged in view " + f.view());
                acks++;
            }
            long prepares = wire.ofType(MessageType.PREPARE).from(leader).count();
            assertTrue(acks <= prepares, "follower " + i + ": " + acks + " MyPrepareOKs for " + prepares + " Prepares from the leader");
            assertTrue(acks > 100, "follower " + i + " fast-acked the workload: " + acks);
            // The forged ones went up the stack, each counted under its reason.
            assertTrue(env.offloads(i).bpf().counter(Counter.PASS_NOT_FROM_LEADER) > 1000, "follower " + i + " rejected forged Prepares");
            assertEquals(0, env.offloads(i).bpf().counter(Counter.PASS_BAD_UDP_CSUM), "no Prepare of the leader's failed its checksum");
            assertEquals(java.util.Map.of(), env.inJvm(i).server().kernelAckRejections(), "user space agreed with every kernel ack");
            // Every Prepare the kernel buffered was checked again in user space (sender, body) and applied.
            assertEquals(env.offloads(i).bpf().counter(Counter.FAST_ACKED), (long) env.inJvm(i).query(v -> v.stats().fastPreparesApplied));
        }
        sc.killLeaderAndReadBack(env);
    }
}
