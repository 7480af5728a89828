package dev.electrode.netns.cpu;

import dev.electrode.netns.Commands;
import dev.electrode.netns.NetNamespace;
import dev.electrode.netns.NetnsException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.stream.Stream;

/**
 * Threaded NAPI on a veth end: its receive work (GRO, XDP, the IP/UDP stack) then runs in
 * kernel threads "napi/&lt;dev&gt;-&lt;id&gt;" that can be pinned, instead of in softirq on whichever
 * CPU sent the frame. A veth only has NAPI with XDP attached or GRO on, so GRO is turned on
 * first; and veth_xmit bypasses NAPI for frames from a peer with TSO on (unless XDP is
 * attached), so TSO is turned off on the peer end.
 */
public final class ThreadedNapi {
    private static final Object DISCOVERY = new Object(); // one enable at a time, so the new threads are ours

    private ThreadedNapi() {}

    /**
     * Turns on threaded NAPI for veth end {@code dev} in {@code ns}, whose peer is {@code peer} in
     * {@code peerNs}, and returns the ids of its NAPI kernel threads (one per receive queue).
     */
    public static List<Integer> enable(NetNamespace ns, String dev, NetNamespace peerNs, String peer) {
        synchronized (DISCOVERY) {
            Set<Integer> before = napiThreads(dev);
            Commands.run(List.of("ip", "netns", "exec", peerNs.name(), "ethtool", "-K", peer, "tso", "off"));
            Commands.run(List.of("ip", "netns", "exec", ns.name(), "ethtool", "-K", dev, "gro", "on"));
            try {
                Commands.run(List.of("ip", "netns", "exec", ns.name(), "sh", "-c", "echo 1 > /sys/class/net/" + dev + "/threaded"));
            } catch (NetnsException e) {
                throw new NetnsException("cannot turn on threaded NAPI for " + dev + " in " + ns.name()
                        + " (needs Linux 5.12+ and a device with NAPI): " + e.getMessage(), e);
            }
            Set<Integer> after = napiThreads(dev);
            after.removeAll(before);
            if (after.isEmpty()) {
                // Already threaded (enable called twice): the threads exist, but we cannot tell them apart by name.
                throw new NetnsException("threaded NAPI on " + dev + " in " + ns.name() + " created no new napi/" + dev + "-* kernel thread");
            }
            List<Integer> l = new ArrayList<>(after);
            Collections.sort(l);
            return l;
        }
    }

    /** Turns threaded NAPI off again (its kernel threads exit). */
    public static void disable(NetNamespace ns, String dev) {
        Commands.run(List.of("ip", "netns", "exec", ns.name(), "sh", "-c", "echo 0 > /sys/class/net/" + dev + "/threaded"));
    }

    /** Kernel threads named napi/&lt;dev&gt;-*, over all namespaces. */
    static Set<Integer> napiThreads(String dev) {
        Set<Integer> pids = new HashSet<>();
        String prefix = "napi/" + dev + "-";
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            procs.forEach(p -> {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) return;
                try {
                    if (Files.readString(p.resolve("comm")).strip().startsWith(prefix)) pids.add(Integer.parseInt(name));
                } catch (IOException ignored) {
                    // the process ended while we looked
                }
            });
        } catch (IOException e) {
            throw new NetnsException("cannot list /proc: " + e.getMessage(), e);
        }
        return pids;
    }
}
