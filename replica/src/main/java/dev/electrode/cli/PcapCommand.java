package dev.electrode.cli;

import dev.electrode.capture.CaptureException;
import dev.electrode.capture.CaptureReader;
import dev.electrode.capture.CaptureTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Prints the frames of capture files with the project's own codec (for users without Wireshark). */
@Command(name = "pcap", mixinStandardHelpOptions = true,
        description = "Decode the wire-format datagrams of pcap/pcapng files: one line per message, fragment or rejected datagram.")
final class PcapCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE")
    List<Path> files;

    @Override
    public Integer call() {
        int status = 0;
        for (Path f : files) {
            try {
                if (files.size() > 1) System.out.println("== " + f);
                System.out.print(CaptureTable.format(CaptureReader.read(f)));
            } catch (CaptureException e) {
                System.err.println("error: " + e.getMessage());
                status = 2;
            }
        }
        return status;
    }
}
