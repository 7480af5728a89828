package dev.electrode.bpf;

/** Child process for KilledProcessDetachTest: attaches XDP and TC to an interface, then waits to be killed. */
public final class AttachAndHold {
    public static void main(String[] args) throws InterruptedException {
        ElectrodeBpf bpf = ElectrodeBpf.load();
        bpf.attachXdp(args[0]);
        bpf.attachTcEgress(args[0]);
        System.out.println("ATTACHED " + bpf.programId(bpf.xdpProgramFd()));
        System.out.flush();
        Thread.sleep(300_000);
    }
}
