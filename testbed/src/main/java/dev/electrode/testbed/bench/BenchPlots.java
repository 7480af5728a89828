package dev.electrode.testbed.bench;

import dev.electrode.testbed.ReplicationProtocol;
import dev.electrode.testbed.bench.ClusterMeasurement.Cell;
import dev.electrode.testbed.bench.ClusterMeasurement.Figures;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * PNG plots of a run (XChart): throughput and the gain over the same protocol without offloads
 * against cluster size per protocol and mode, the latency CDF per mode, and CPU per operation per mode (the UDP-echo limit, an order
 * of magnitude above, is in the table and CSV, not on the plots). Plots use the largest client count and the first
 * request size; the CSV holds every cell.
 */
final class BenchPlots {
    private static final int WIDTH = 900, HEIGHT = 560;

    /** The batch size, durability and variant the plots being written show. */
    private final int batch;
    private final String durability;
    private final String variant;

    private BenchPlots(int batch, String durability, String variant) {
        this.batch = batch;
        this.durability = durability;
        this.variant = variant;
    }

    /**
     * Writes the plots into {@code dir}, a set per durability and variant (the first batch size;
     * the batch plot has them all); returns their files.
     */
    static List<Path> write(BenchReport report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BenchReport.Settings s = report.settings();
        int clients = s.clients().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int size = s.valueSizes().get(0);
        List<Path> files = new ArrayList<>();
        for (String v : s.variants())
            for (String d : s.durabilities())
                new BenchPlots(s.batchSizes().get(0), d, v).writeSet(report, dir, clients, size, files);
        return files;
    }

    /** This set's plots, named with its durability and variant where the run had several. */
    private void writeSet(BenchReport report, Path dir, int clients, int size, List<Path> files) throws IOException {
        BenchReport.Settings s = report.settings();
        String suffix = (s.durabilities().size() > 1 ? "-" + durability : "") + (variant.isEmpty() ? "" : "-" + variant);
        for (String place : s.placements()) {
            files.add(save(throughput(report, place, clients, size), dir.resolve("throughput-vs-replicas-" + place + suffix)));
            files.add(save(speedup(report, place, clients, size), dir.resolve("speedup-vs-replicas-" + place + suffix)));
            for (int n : s.replicas()) {
                files.add(save(latencyCdf(report, n, place, clients, size), dir.resolve("latency-cdf-n" + n + "-" + place + suffix)));
                files.add(save(cpuPerOp(report, n, place, clients, size), dir.resolve("cpu-per-op-n" + n + "-" + place + suffix)));
            }
            if (s.batchSizes().size() > 1)
                files.add(save(overBatch(report, place, clients, size), dir.resolve("throughput-vs-batch-" + place + suffix)));
        }
    }

    /** The cell of the plotted batch size and durability. */
    private Cell cell(BenchReport r, ReplicationProtocol protocol, int n, String mode, String place, int clients, int size) {
        return new Cell(protocol, n, mode, place, clients, size, batch, durability, variant);
    }

    /** Throughput against batch size, a series per cluster size, protocol and mode (log-scale batch axis). */
    private XYChart overBatch(BenchReport r, String place, int clients, int size) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Throughput by batch size, " + clients + " clients, " + size + "-byte puts (" + place + " placement, " + durability + ")")
                .xAxisTitle("batch size (operations per append)").yAxisTitle("committed ops/s (median)").build();
        chart.getStyler().setXAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.OutsideS)
                .setLegendLayout(Styler.LegendLayout.Horizontal);
        for (int n : r.settings().replicas())
            for (ReplicationProtocol protocol : r.settings().protocols())
                for (String mode : r.settings().modes()) {
                    List<Double> x = new ArrayList<>(), y = new ArrayList<>();
                    for (int b : r.settings().batchSizes()) {
                        double v = r.median(new Cell(protocol, n, mode, place, clients, size, b, durability, variant), BenchReport::throughput);
                        if (!Double.isNaN(v)) {
                            x.add((double) b);
                            y.add(v);
                        }
                    }
                    if (!x.isEmpty()) chart.addSeries("n=" + n + " " + r.label(protocol, mode), x, y);
                }
        return chart;
    }

    private static Path save(Object chart, Path base) throws IOException {
        if (chart instanceof XYChart x) BitmapEncoder.saveBitmap(x, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        else BitmapEncoder.saveBitmap((CategoryChart) chart, base.toString(), BitmapEncoder.BitmapFormat.PNG);
        return Path.of(base + ".png");
    }

    private XYChart throughput(BenchReport r, String place, int clients, int size) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Throughput, " + clients + " closed-loop clients, " + size + "-byte puts (" + place + " placement)")
                .xAxisTitle("replicas").yAxisTitle("committed ops/s (median)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        for (ReplicationProtocol protocol : r.settings().protocols())
            for (String mode : r.settings().modes())
                seriesOverReplicas(chart, r.label(protocol, mode), r.settings().replicas(),
                        n -> r.median(cell(r, protocol, n, mode, place, clients, size), BenchReport::throughput));
        return chart;
    }

    /** Each mode's median throughput over its protocol's plain mode, against cluster size (1.0 = no gain). */
    private XYChart speedup(BenchReport r, String place, int clients, int size) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Throughput over the same protocol without offloads, " + clients + " clients, " + size + "-byte puts (" + place + " placement)")
                .xAxisTitle("replicas").yAxisTitle("median ops/s / plain mode's median ops/s").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        for (ReplicationProtocol protocol : r.settings().protocols())
            for (String mode : r.settings().modes()) {
                if (mode.equals("plain")) continue;
                seriesOverReplicas(chart, r.label(protocol, mode), r.settings().replicas(),
                        n -> r.median(cell(r, protocol, n, mode, place, clients, size), BenchReport::throughput)
                                / r.median(cell(r, protocol, n, "plain", place, clients, size), BenchReport::throughput));
            }
        if (chart.getSeriesMap().isEmpty()) chart.addSeries("no plain cells to compare with", List.of(0.0), List.of(0.0))
                .setMarker(SeriesMarkers.NONE);
        return chart;
    }

    /** Adds series {@code name}: {@code value} at each cluster size, skipping sizes not measured (NaN). */
    private static void seriesOverReplicas(XYChart chart, String name, List<Integer> replicas, IntToDoubleFunction value) {
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        for (int n : replicas) {
            double v = value.applyAsDouble(n);
            if (!Double.isNaN(v)) {
                x.add((double) n);
                y.add(v);
            }
        }
        if (!x.isEmpty()) chart.addSeries(name, x, y);
    }

    private XYChart latencyCdf(BenchReport r, int n, String place, int clients, int size) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Latency CDF, " + n + " replicas, " + clients + " clients, " + size + "-byte puts (" + place + " placement)")
                .xAxisTitle("latency (us)").yAxisTitle("fraction of operations").build();
        chart.getStyler().setXAxisLogarithmic(true).setMarkerSize(0)
                .setLegendPosition(Styler.LegendPosition.InsideSE);
        for (ReplicationProtocol protocol : r.settings().protocols())
            for (String mode : r.settings().modes()) addCdf(chart, r.label(protocol, mode), r.latencies(cell(r, protocol, n, mode, place, clients, size)));
        return chart;
    }

    /** Adds the CDF of {@code h} as series {@code name}, unless it is empty. */
    private static void addCdf(XYChart chart, String name, Histogram h) {
        if (h.getTotalCount() == 0) return;
        List<Double> x = new ArrayList<>(), y = new ArrayList<>();
        long seen = 0;
        for (HistogramIterationValue v : h.recordedValues()) {
            seen += v.getCountAtValueIteratedTo();
            x.add(Math.max(1, v.getValueIteratedTo() / 1000.0));
            y.add((double) seen / h.getTotalCount());
        }
        chart.addSeries(name, x, y);
    }

    private CategoryChart cpuPerOp(BenchReport r, int n, String place, int clients, int size) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("CPU per operation, " + n + " replicas, " + clients + " clients (" + place + " placement)")
                .xAxisTitle("mode").yAxisTitle("microseconds per committed op (median)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal);
        List<Cell> modes = new ArrayList<>();
        for (ReplicationProtocol protocol : r.settings().protocols())
            for (String m : r.settings().modes()) {
                Cell c = cell(r, protocol, n, m, place, clients, size);
                if (!r.of(c).isEmpty()) modes.add(c);
            }
        if (modes.isEmpty()) return chart;
        series(chart, r, n, place, clients, size, modes, "leader thread", Figures::leaderCpuUs);
        series(chart, r, n, place, clients, size, modes, "follower thread", Figures::followerCpuUs);
        if (place.equals("pinned")) {
            series(chart, r, n, place, clients, size, modes, "leader kernel rx", Figures::leaderKernelRxUs);
            series(chart, r, n, place, clients, size, modes, "follower kernel rx", Figures::followerKernelRxUs);
        }
        return chart;
    }

    private static void series(CategoryChart chart, BenchReport r, int n, String place, int clients, int size, List<Cell> modes,
                               String name, ToDoubleFunction<Figures> metric) {
        List<Double> y = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Cell c : modes) {
            double v = r.median(c, metric);
            y.add(Double.isNaN(v) ? 0 : v);
            labels.add(r.label(c.protocol(), c.mode()));
        }
        chart.addSeries(name, labels, y);
    }
}
