package dev.electrode.server;

import dev.electrode.app.ClientAddress;

import java.net.InetSocketAddress;

/** A client as a server's socket knows it: the address its request came from. */
record UdpClient(InetSocketAddress address) implements ClientAddress {}
