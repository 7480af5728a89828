package dev.electrode.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** {@code electrode pcap FILE}: the frame table of a reference capture, and a clear error for a missing file. */
class PcapCommandTest {
    private static final String SAMPLE = "src/test/resources/wire-samples/elec-p0.pcap";

    private record Run(int status, String out, String err) {}

    private static Run run(String... args) {
        PrintStream stdout = System.out, stderr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int status = new CommandLine(new ElectrodeMain()).execute(args);
            return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
    }

    @Test
    void printsOneLinePerFrameOfTheReferenceCapture() {
        Run r = run("pcap", SAMPLE);
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].contains("packet") && lines[0].contains("type"), lines[0]);
        // Packet 6: follower 2's kernel-made acknowledgement of op 1 (see the wire samples' README).
        assertTrue(lines[6].matches("\\s+6\\s+\\d+\\s+10\\.201\\.0\\.12:12345 -> +10\\.201\\.0\\.10:12345\\s+MY_PREPARE_OK\\s+view 0\\s+op 1\\s+req -"),
                lines[6]);
        assertTrue(lines[3].contains("REQUEST") && lines[3].endsWith("req 1"), lines[3]);
        assertEquals("elec-p0.pcap: 42 messages, 0 fragments (0 messages reassembled), 0 rejected, 0 other packets, "
                + "0 IPv4 datagrams missing fragments", lines[lines.length - 1]);
    }

    @Test
    void aMissingFileFailsWithItsName() {
        Run r = run("pcap", "no-such.pcap");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("no-such.pcap"), r.err());
    }
}
