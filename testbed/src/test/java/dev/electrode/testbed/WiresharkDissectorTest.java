package dev.electrode.testbed;

import com.google.protobuf.ByteString;
import dev.electrode.app.KvOps;
import dev.electrode.bpf.Offload;
import dev.electrode.capture.CaptureReader;
import dev.electrode.capture.CapturedDatagram;
import dev.electrode.capture.WireFrame;
import dev.electrode.client.VrClient;
import dev.electrode.wire.MessageType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.TestAbortedException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Wireshark dissector (wireshark/electrode.lua, run through wireshark/tshark.sh) decodes every
 * datagram exactly as the project's codec does: type, view, opnum and clientreqid per packet, on the
 * reference prototype's captures and on a capture of this project's Electrode cluster with
 * fragmented messages.
 */
@Testbed(replicas = 3, offloads = {Offload.BROADCAST, Offload.FAST_ACK, Offload.QUORUM_PRUNE}, viewChangeMs = 2000)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class WiresharkDissectorTest {
    private static final Path SCRIPT = Path.of("..", "wireshark", "tshark.sh");
    private static final Path SAMPLES = Path.of("..", "replica", "src", "test", "resources", "wire-samples");

    @BeforeAll
    static void needsTshark() {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, "tshark")));
        if (found) return;
        String why = "tshark is not installed (bash ci/setup-host.sh installs it)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) fail("CI=true but " + why);
        throw new TestAbortedException(why);
    }

    @Test
    void decodesTheReferencePrototypesCapturesAsTheCodecDoes(TestbedEnv env) throws Exception {
        List<Path> samples;
        try (Stream<Path> s = Files.list(SAMPLES)) {
            samples = s.filter(p -> p.toString().endsWith(".pcap")).sorted().toList();
        }
        assertEquals(9, samples.size(), "the wire samples");
        Set<MessageType> seen = EnumSet.noneOf(MessageType.class);
        for (Path p : samples) seen.addAll(compare(p, env.dir()));
        assertTrue(seen.containsAll(EnumSet.of(MessageType.REQUEST, MessageType.PREPARE, MessageType.MY_PREPARE_OK,
                MessageType.PREPARE_OK, MessageType.COMMIT, MessageType.REPLY)), "types compared: " + seen);
    }

    @Test
    void decodesAnElectrodeClusterCaptureWithFragmentsAsTheCodecDoes(TestbedEnv env) throws Exception {
        VrClient.Session s = env.client().newSession();
        for (int i = 0; i < 40; i++) s.invoke(KvOps.put("k" + i, "v" + i)).get(10, TimeUnit.SECONDS);
        // 20 kB: the Request, the Prepare carrying it and the StateTransfer-free path split it into
        // wire fragments, and IPv4 splits each of those again on the 1500-byte links.
        byte[] big = new byte[20_000];
        new java.util.Random(3).nextBytes(big);
        s.invoke(KvOps.put(ByteString.copyFromUtf8("big"), ByteString.copyFrom(big))).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) s.invoke(KvOps.get("k" + i)).get(10, TimeUnit.SECONDS);

        // The capture thread may lag the traffic: wait until the leader's capture holds the big
        // Request and its Prepare to each follower, reassembled, before copying it.
        Path leader = env.dir().resolve("leader-copy.pcap");
        org.awaitility.Awaitility.await().atMost(TestbedEnv.patience(java.time.Duration.ofSeconds(20)))
                .pollInterval(java.time.Duration.ofMillis(200)).until(() -> {
                    env.capture(0).flush();
                    Files.copy(env.capture(0).file(), leader, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    return reassembled(leader) >= 3;
                });
        Set<MessageType> seen = compare(leader, env.dir());
        assertTrue(seen.containsAll(EnumSet.of(MessageType.REQUEST, MessageType.PREPARE, MessageType.MY_PREPARE_OK, MessageType.COMMIT,
                MessageType.REPLY)), "types compared: " + seen);
    }

    /** Messages of {@code pcap} rebuilt from fragments. */
    private static long reassembled(Path pcap) {
        return CaptureReader.read(pcap).datagrams().stream().filter(d -> d instanceof CapturedDatagram.Fragment f && f.completed() != null).count();
    }

    /** Compares tshark's decoding of {@code pcap} with the codec's, packet by packet; returns the types compared. */
    private static Set<MessageType> compare(Path pcap, Path workDir) throws Exception {
        CaptureReader.Capture ours = CaptureReader.read(pcap);
        Map<Integer, Map<String, List<String>>> theirs = tshark(pcap, workDir);
        Set<MessageType> types = EnumSet.noneOf(MessageType.class);
        List<String> problems = new ArrayList<>();
        assertEquals(ours.datagrams().size(), theirs.size(), pcap + ": datagrams decoded by the codec and by the dissector");
        for (CapturedDatagram d : ours.datagrams()) {
            Map<String, List<String>> t = theirs.get(d.packet());
            if (t == null) { problems.add("packet " + d.packet() + ": not decoded by the dissector"); continue; }
            WireFrame f = null;
            if (d instanceof CapturedDatagram.Message m) f = m.frame();
            if (d instanceof CapturedDatagram.Fragment fr) {
                expect(problems, d, "electrode.frag.id", Long.toString(fr.messageId()), first(t, "electrode.frag.id"));
                f = fr.completed();
            }
            if (f == null) continue;
            types.add(f.type());
            String typeName = f.type().typeName();
            expect(problems, d, "type", typeName, first(t, "electrode.type"));
            String body = "pbf." + typeName + ".";
            if (f.type() == MessageType.MY_PREPARE_OK) {
                expect(problems, d, "view", Long.toString(f.view()), first(t, "electrode.myok.view"));
                expect(problems, d, "opnum", Long.toString(f.opnum()), first(t, "electrode.myok.opnum"));
                continue;
            }
            if (f.view() >= 0) expect(problems, d, "view", Long.toString(f.view()), first(t, body + "view"));
            if (f.opnum() >= 0) expect(problems, d, "opnum", Long.toString(f.opnum()), first(t, body + "opnum"));
            if (f.type() == MessageType.REQUEST)
                expect(problems, d, "clientreqid", Long.toString(f.clientReqId()), first(t, "pbf.specpaxos.Request.clientreqid"));
            if (f.type() == MessageType.REPLY)
                expect(problems, d, "clientreqid", Long.toString(f.clientReqId()), first(t, body + "clientreqid"));
        }
        assertEquals(List.of(), problems, pcap.toString());
        return types;
    }

    private static void expect(List<String> problems, CapturedDatagram d, String what, String ours, String theirs) {
        if (!ours.equals(theirs)) problems.add("packet " + d.packet() + " " + what + ": codec " + ours + ", dissector " + theirs);
    }

    private static String first(Map<String, List<String>> fields, String name) {
        List<String> v = fields.get(name);
        return v == null ? null : v.get(0);
    }

    /** tshark's PDML for {@code pcap}: per frame number with an Electrode layer, every field name's values in order. */
    private static Map<Integer, Map<String, List<String>>> tshark(Path pcap, Path workDir) throws IOException, Exception {
        Files.createDirectories(workDir);
        Path xml = workDir.resolve(pcap.getFileName() + ".pdml");
        Path err = workDir.resolve(pcap.getFileName() + ".tshark.err");
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "-r", pcap.toString(), "-T", "pdml")
                .redirectOutput(xml.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tshark finished");
        assertEquals(0, p.exitValue(), "tshark on " + pcap + ": " + Files.readString(err));
        String stderr = Files.readString(err);
        assertFalse(stderr.contains("Lua: Error") || stderr.contains("lua_script"), "the dissector loaded without errors: " + stderr);
        Element root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(xml.toFile()).getDocumentElement();
        Map<Integer, Map<String, List<String>>> out = new LinkedHashMap<>();
        NodeList packets = root.getElementsByTagName("packet");
        for (int i = 0; i < packets.getLength(); i++) {
            Element packet = (Element) packets.item(i);
            Map<String, List<String>> fields = new HashMap<>();
            NodeList all = packet.getElementsByTagName("field");
            boolean electrode = false;
            for (int j = 0; j < all.getLength(); j++) {
                Element f = (Element) all.item(j);
                String name = f.getAttribute("name");
                if (name.startsWith("electrode.")) electrode = true;
                fields.computeIfAbsent(name, k -> new ArrayList<>()).add(f.getAttribute("show"));
            }
            // An ICMP error quotes the datagram it answers, and Wireshark decodes the quote too; the codec
            // sees only datagrams that were delivered.
            if (fields.containsKey("icmp.type")) continue;
            if (electrode) out.put(Integer.parseInt(fields.get("frame.number").get(0)), fields);
        }
        return out;
    }
}
