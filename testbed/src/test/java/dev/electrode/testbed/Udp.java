package dev.electrode.testbed;

import dev.electrode.netns.StarTopology;
import dev.electrode.netns.Topology;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/** A UDP socket bound inside a host's namespace (test helper). */
final class Udp implements AutoCloseable {
    final Topology.Host host;
    final DatagramSocket socket;

    Udp(Topology.Host host, int port) {
        this.host = host;
        this.socket = host.ns().call(() -> {
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(host.address(), port));
            s.setReceiveBufferSize(8 << 20);
            return s;
        });
    }

    void send(Udp to, byte[] data) {
        host.ns().run(() -> socket.send(new DatagramPacket(data, data.length, to.socket.getLocalSocketAddress())));
    }

    /** Datagrams received until {@code quietMs} pass without one. */
    List<byte[]> receiveAll(int quietMs) throws Exception {
        List<byte[]> out = new ArrayList<>();
        socket.setSoTimeout(quietMs);
        while (true) {
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            try {
                socket.receive(p);
            } catch (SocketTimeoutException e) {
                return out;
            }
            out.add(java.util.Arrays.copyOf(p.getData(), p.getLength()));
        }
    }

    /** Sends {@code n} numbered datagrams to {@code to} and returns how many arrived there. */
    int exchange(Udp to, int n) throws Exception {
        for (int i = 0; i < n; i++) send(to, ("msg " + i).getBytes());
        return to.receiveAll(300).size();
    }

    @Override
    public void close() { socket.close(); }
}
