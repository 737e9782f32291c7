// Discovery: facts read from the OS (CPU flags, NPUs from /sys and /dev), the profile device key,
// and `hearth devices --json` as users and scripts read it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readCpuFacts, simdFromCpuinfo } from "../../src/devices/cpu.ts";
import { deviceKey } from "../../src/devices/deviceKey.ts";
import { gpusFromProbes, mergePciGpus, readPciGpus, vendorFromName } from "../../src/devices/gpu.ts";
import { readNpus } from "../../src/devices/npu.ts";
import { physicalCores } from "../../src/devices/cpuCores.ts";
import { runHearth } from "../helpers/cli.ts";

test("SIMD flags from /proc/cpuinfo: x86 flags, ARM features (asimd is NEON), unknown when absent", () => {
  assert.deepEqual(simdFromCpuinfo("processor\t: 0\nflags\t\t: fpu sse avx avx2 fma f16c avx512f avx512bw\n"), [
    "avx",
    "avx2",
    "avx512f",
    "avx512bw",
    "fma",
    "f16c",
  ]);
  assert.deepEqual(simdFromCpuinfo("Features\t: fp asimd evtstrm aes asimddp sve i8mm\n"), ["neon", "asimd", "sve", "i8mm", "asimddp"]);
  assert.equal(simdFromCpuinfo("processor : 0\n"), undefined);
  const cpu = readCpuFacts();
  assert.equal(cpu.physicalCores, physicalCores());
  assert.ok(cpu.logicalCores >= cpu.physicalCores);
  if (process.platform === "linux" && process.arch === "x64") {
    assert.equal(cpu.simdKnown, true);
    const flags = readFileSync("/proc/cpuinfo", "utf8");
    assert.equal(cpu.simd.includes("avx2"), /\bavx2\b/.test(flags));
  }
});

test("NPUs where the OS shows them: Intel NPU and AMD XDNA in /sys/class/accel, Hexagon via fastrpc, the ANE on Apple silicon", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "hearth-sysfs-"));
  for (const [name, driver, vendor] of [
    ["accel0", "intel_vpu", "0x8086"],
    ["accel1", "amdxdna", "0x1022"],
  ]) {
    const dev = path.join(root, "sys/devices/pci", name);
    mkdirSync(path.join(root, "sys/bus/pci/drivers", driver), { recursive: true });
    mkdirSync(dev, { recursive: true });
    writeFileSync(path.join(dev, "vendor"), `${vendor}\n`);
    symlinkSync(path.join(root, "sys/bus/pci/drivers", driver), path.join(dev, "driver"));
    mkdirSync(path.join(root, "sys/class/accel", name), { recursive: true });
    symlinkSync(dev, path.join(root, "sys/class/accel", name, "device"));
  }
  mkdirSync(path.join(root, "dev"), { recursive: true });
  writeFileSync(path.join(root, "dev/fastrpc-cdsp"), "");
  const npus = readNpus({ platform: "linux", arch: "arm64", root });
  assert.deepEqual(
    npus.map((n) => [n.kind, n.driver]),
    [
      ["intel-npu", "intel_vpu"],
      ["amd-xdna", "amdxdna"],
      ["qualcomm-hexagon", undefined],
    ],
  );
  assert.deepEqual(readNpus({ platform: "linux", root: mkdtempSync(path.join(os.tmpdir(), "hearth-empty-")) }), []);
  assert.equal(readNpus({ platform: "darwin", arch: "arm64" })[0].kind, "apple-ane");
  assert.deepEqual(readNpus({ platform: "darwin", arch: "x64" }), []);
});

test("GPU facts from API probes: one entry per device with the APIs that loaded; memory per GPU only when it is known per GPU", () => {
  const one = gpusFromProbes([
    { api: "cuda", available: true, devices: ["NVIDIA GeForce RTX 4090"], memoryTotalBytes: 24e9, memoryFreeBytes: 23e9 },
    { api: "vulkan", available: true, devices: ["NVIDIA GeForce RTX 4090"], memoryTotalBytes: 24e9, memoryFreeBytes: 23e9 },
  ]);
  assert.equal(one.length, 1);
  assert.deepEqual(one[0].apis, ["cuda", "vulkan"]);
  assert.equal(one[0].vendor, "nvidia");
  assert.equal(one[0].memoryTotalBytes, 24e9);
  const two = gpusFromProbes([
    {
      api: "vulkan",
      available: true,
      devices: ["AMD Radeon RX 7900", "Intel(R) UHD Graphics 770"],
      memoryTotalBytes: 30e9,
      memoryFreeBytes: 29e9,
    },
  ]);
  assert.deepEqual(
    two.map((g) => g.vendor),
    ["amd", "intel"],
  );
  assert.equal(two[0].memoryTotalBytes, undefined, "a summed figure is not one GPU's memory");
  assert.deepEqual(gpusFromProbes([{ api: "cuda", available: false, reason: "no driver" }]), []);
  assert.equal(vendorFromName("Mystery Accelerator"), undefined);
});

test("GPUs on the PCI bus are shown even when no compute API loads; a probed GPU gains its PCI address and driver", () => {
  const root = mkdtempSync(path.join(os.tmpdir(), "hearth-pci-"));
  const dev = (addr: string, cls: string, vendor: string, driver?: string) => {
    const d = path.join(root, "sys/bus/pci/devices", addr);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, "class"), `${cls}\n`);
    writeFileSync(path.join(d, "vendor"), `${vendor}\n`);
    if (driver) {
      mkdirSync(path.join(root, "drivers", driver), { recursive: true });
      symlinkSync(path.join(root, "drivers", driver), path.join(d, "driver"));
    }
  };
  dev("0000:00:01.0", "0x030000", "0x1234"); // a virtual VGA adapter: not a GPU vendor
  dev("0000:00:02.0", "0x020000", "0x8086", "e1000"); // a network card
  dev("0000:01:00.0", "0x030200", "0x10de"); // an NVIDIA GPU with no driver bound
  dev("0000:02:00.0", "0x030000", "0x1002", "amdgpu");
  const pci = readPciGpus(root);
  assert.deepEqual(
    pci.map((g) => [g.vendor, g.driver, g.apis.length]),
    [
      ["nvidia", undefined, 0],
      ["amd", "amdgpu", 0],
    ],
  );
  const probed = gpusFromProbes([
    { api: "vulkan", available: true, devices: ["AMD Radeon RX 7900"], memoryTotalBytes: 20e9, memoryFreeBytes: 19e9 },
  ]);
  const all = mergePciGpus(probed, pci);
  assert.equal(all.length, 2);
  assert.equal(all[0].name, "AMD Radeon RX 7900");
  assert.equal(all[0].pciAddress, "0000:02:00.0");
  assert.equal(all[0].driver, "amdgpu");
  assert.equal(all[1].vendor, "nvidia");
  assert.deepEqual(all[1].apis, [], "seen on the bus, no API reached it");
  assert.equal(all[1].name, undefined, "its name is unknown, not guessed");
});

test("deviceKey: the keys measured profiles are stored under", () => {
  assert.equal(deviceKey({ device: "cpu", cpu: { model: "AMD EPYC  7B13", physicalCores: 2 } }), "cpu:AMD EPYC 7B13:2c");
  assert.equal(deviceKey({ device: "cpu", cpu: { model: undefined, physicalCores: 8 } }), "cpu:unknown:8c");
  assert.equal(deviceKey({ device: "gpu", api: "cuda", gpu: { name: "NVIDIA H100 80GB HBM3" } }), "gpu:cuda:NVIDIA H100 80GB HBM3");
  assert.equal(deviceKey({ device: "npu", npu: { kind: "apple-ane", name: "Apple Neural Engine" } }), "npu:apple-ane:Apple Neural Engine");
});

test("hearth devices --json: CPU, RAM, GPU API probes, NPUs and the engines each device serves; the probe is cached", async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-devices-"));
  const r = await runHearth(["devices", "--json"], { env: { HEARTH_HOME: home } });
  assert.equal(r.code, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  assert.equal(d.platform, process.platform);
  assert.equal(d.cpu.physicalCores, physicalCores());
  assert.equal(d.cpu.logicalCores, os.availableParallelism());
  assert.match(d.cpu.deviceKey, /^cpu:.+:\d+c$/);
  assert.ok(Array.isArray(d.cpu.simd));
  assert.equal(d.memory.totalBytes, os.totalmem());
  assert.ok(d.memory.freeBytes > 0 && d.memory.freeBytes <= d.memory.totalBytes);
  assert.ok(Array.isArray(d.gpus) && Array.isArray(d.npus));
  for (const a of d.gpuApis) {
    assert.ok(["cuda", "vulkan", "metal"].includes(a.api));
    assert.equal(typeof a.available, "boolean");
    if (!a.available) assert.ok(a.reason, "an unavailable API says why");
  }
  // this machine has no GPU: the probes say so rather than guess
  if (!d.gpuApis.some((a: { available: boolean }) => a.available)) assert.deepEqual(d.gpus, []);
  // every engine was probed in its own process; the CPU serves the ones whose probe says so
  for (const name of ["llama", "llama-mm", "whisper"]) {
    assert.ok(Array.isArray(d.backends[name]), `${name} probed`);
    assert.ok(d.cpu.backends.includes(name), `${name} runs on the CPU`);
  }
  assert.equal(d.cached, false);
  const again = JSON.parse((await runHearth(["devices", "--json"], { env: { HEARTH_HOME: home } })).stdout);
  assert.equal(again.cached, true);
  assert.equal(again.probedAt, d.probedAt);
  const text = await runHearth(["devices"], { env: { HEARTH_HOME: home } });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /DEVICE\s+NAME\s+MEMORY/);
  assert.match(text.stdout, /physical \/ \d+ logical cores/);
  assert.match(text.stdout, /GPU APIs: /);
  assert.match(text.stdout, /ENGINE\s+DEVICE\s+API\s+USABLE/);
  assert.match(text.stdout, /llama\s+cpu\s+cpu\s+yes/);
});
