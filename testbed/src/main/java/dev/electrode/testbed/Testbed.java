package dev.electrode.testbed;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives a test a star topology of network namespaces (one host per replica plus a client
 * host), a VR cluster in it, a client, captures of every host interface and the fault
 * layer, through a {@link TestbedEnv} parameter. Everything is torn down afterwards, and a
 * leftover namespace fails the test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(TestbedExtension.class)
public @interface Testbed {
    /** Number of replicas (odd). */
    int replicas() default 3;

    /** Run each replica as its own JVM (ip netns exec) instead of in the test's JVM. */
    boolean processes() default false;

    /** One testbed per test method, or one for the whole class. */
    Scope scope() default Scope.PER_TEST;

    /** Start the VR cluster and client; false gives only the topology, captures and faults. */
    boolean cluster() default true;

    /** Capture every host interface into target/testbed/&lt;class&gt;/&lt;method&gt;/. */
    boolean capture() default true;

    /** Keep the capture files even when the test passes (they are always kept when it fails). */
    boolean keepCaptures() default false;

    /** VR batch size of the replicas. */
    int batchSize() default 1;

    /** Leader heartbeat period. */
    long heartbeatMs() default 20;

    /** Retransmission period of prepares and other protocol messages. */
    long resendMs() default 40;

    /** Leader silence before followers start a view change. */
    long viewChangeMs() default 300;

    /** The client's first retransmission timeout (it doubles up to 8 times this). */
    long clientRetryMs() default 50;

    /** Electrode offloads to run the replicas with (in-JVM replicas); none = plain VR. */
    dev.electrode.bpf.Offload[] offloads() default {};

    /** Also capture the switch side of every host's veth (sees what XDP hides from the host side); works with capture = false too. */
    boolean switchCaptures() default false;

    /**
     * A pcap filter expression every capture applies (e.g. {@code "udp src port 12345"}: only what
     * replicas send), so a test that floods the links still captures every frame it checks; empty:
     * everything. The capture's start-up probe is always let through.
     */
    String captureFilter() default "";

    /**
     * Durability of process replicas: "memory", or "sync"/"async" with a data directory per replica
     * ({@code <test dir>/data-<i>}); a restarted replica then comes back from its directory.
     */
    String durability() default "memory";

    /** Committed operations between the replicas' snapshots (the log keeps those since the previous one). */
    long snapshotEvery() default 100_000;

    /** Hosts as network namespaces (default) or containers on a Docker network; see {@link Backend#PROPERTY}. */
    Backend backend() default Backend.NAMESPACES;

    /** The replication protocol (Raft: in this JVM or as processes, durable with {@link #durability()}). */
    ReplicationProtocol protocol() default ReplicationProtocol.VR;

    enum Scope { PER_TEST, PER_CLASS }
}
