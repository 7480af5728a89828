package dev.electrode.bpf;

import java.time.Duration;

/**
 * Waits scaled by the patience factor the testbed also reads ({@code -Delectrode.testbed.patience},
 * 1 unless set): the kernel-test VM emulates its CPU and runs several times slower.
 */
final class Patience {
    private Patience() {}

    static Duration of(Duration d) {
        double f = Double.parseDouble(System.getProperty("electrode.testbed.patience", "1"));
        if (!(f >= 1)) throw new IllegalArgumentException("-Delectrode.testbed.patience=" + f + ": the factor must be at least 1");
        return Duration.ofNanos((long) (d.toNanos() * f));
    }
}
