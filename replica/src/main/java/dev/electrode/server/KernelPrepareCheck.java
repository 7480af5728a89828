package dev.electrode.server;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.electrode.config.ClusterConfig;
import dev.electrode.offload.KernelRecord;
import dev.electrode.wire.proto.PrepareMessage;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * User space's own check of a Prepare the kernel acknowledged: it came from the leader of the
 * view the kernel acknowledged it in (address, port and, where configured, MAC), its body
 * decodes, and the body is what the kernel acknowledged (view, opnum range, request count).
 * Rejections are counted by reason; readable from any thread.
 */
public final class KernelPrepareCheck {
    /** Why a kernel-acknowledged Prepare cannot be used. */
    public enum Rejection { NOT_FROM_LEADER, BAD_BODY, BODY_DISAGREES }

    private final int[] ipv4;   // per replica, first octet highest; 0 if not IPv4
    private final int[] ports;
    private final long[] macs;  // -1 where the configuration gives none
    private final AtomicLongArray rejected = new AtomicLongArray(Rejection.values().length);
    private Rejection lastRejection;

    public KernelPrepareCheck(ClusterConfig config) {
        int n = config.size();
        ipv4 = new int[n];
        ports = new int[n];
        macs = new long[n];
        for (int i = 0; i < n; i++) {
            InetSocketAddress a = config.replica(i);
            if (a.getAddress() instanceof Inet4Address v4) {
                byte[] b = v4.getAddress();
                ipv4[i] = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
            }
            ports[i] = a.getPort();
            byte[] mac = config.mac(i);
            long m = -1;
            if (mac != null) {
                m = 0;
                for (byte x : mac) m = (m << 8) | (x & 0xff);
            }
            macs[i] = m;
        }
    }

    /** The Prepare if {@code k} passes every check, else null (counted; see {@link #lastRejection()}). */
    public PrepareMessage check(KernelRecord k, int leader) {
        if (k.senderIpv4() != ipv4[leader] || k.senderPort() != ports[leader] || (macs[leader] >= 0 && k.senderMac() != macs[leader]))
            return reject(Rejection.NOT_FROM_LEADER);
        PrepareMessage p;
        try {
            p = PrepareMessage.parseFrom(k.body());
        } catch (InvalidProtocolBufferException e) {
            return reject(Rejection.BAD_BODY);
        }
        // The kernel compares 32-bit fast-meta words and widens them; the body must name the same ops.
        if (p.getView() != k.epoch() || p.getOpnum() != k.lastIndex() || p.getBatchstart() != k.firstIndex()
                || p.getRequestCount() != p.getOpnum() - p.getBatchstart() + 1)
            return reject(Rejection.BODY_DISAGREES);
        return p;
    }

    private PrepareMessage reject(Rejection r) {
        rejected.incrementAndGet(r.ordinal());
        lastRejection = r;
        return null;
    }

    /** The reason of the latest rejection (replica thread only). */
    public Rejection lastRejection() { return lastRejection; }

    /** Non-zero rejection counts by reason. */
    public Map<Rejection, Long> rejections() {
        Map<Rejection, Long> m = new EnumMap<>(Rejection.class);
        for (Rejection r : Rejection.values()) if (rejected.get(r.ordinal()) != 0) m.put(r, rejected.get(r.ordinal()));
        return m;
    }
}
