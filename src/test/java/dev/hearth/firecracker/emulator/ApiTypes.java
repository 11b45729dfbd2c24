package dev.hearth.firecracker.emulator;

import static dev.hearth.firecracker.emulator.BodySchema.Kind.BOOLEAN;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.STRING;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.STRING_LIST;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.STRING_MAP;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.U16;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.U64;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.U8;
import static dev.hearth.firecracker.emulator.BodySchema.Kind.USIZE;

/** The request bodies of Firecracker's API 1.17, named and shaped as in its OpenAPI definitions. */
final class ApiTypes {

    static final BodySchema TOKEN_BUCKET = new BodySchema("TokenBucket")
            .required("size", U64)
            .optional("one_time_burst", U64)
            .required("refill_time", U64);

    static final BodySchema RATE_LIMITER = new BodySchema("RateLimiter")
            .optionalObject("bandwidth", TOKEN_BUCKET)
            .optionalObject("ops", TOKEN_BUCKET);

    static final BodySchema BOOT_SOURCE = new BodySchema("BootSource")
            .required("kernel_image_path", STRING)
            .optional("initrd_path", STRING)
            .optional("boot_args", STRING);

    static final String[] CPU_TEMPLATES = {"C3", "T2", "T2S", "T2CL", "T2A", "V1N1", "None"};
    static final String[] HUGE_PAGES = {"None", "Transparent", "2M"};

    static final BodySchema MACHINE_CONFIGURATION = new BodySchema("MachineConfiguration")
            .required("vcpu_count", U8)
            .required("mem_size_mib", USIZE)
            .optional("smt", BOOLEAN)
            .optionalVariant("cpu_template", CPU_TEMPLATES)
            .optional("track_dirty_pages", BOOLEAN)
            .optionalVariant("huge_pages", HUGE_PAGES);

    /** PATCH /machine-config: the same fields, none of them required. */
    static final BodySchema MACHINE_CONFIGURATION_UPDATE = new BodySchema("MachineConfigUpdate")
            .optional("vcpu_count", U8)
            .optional("mem_size_mib", USIZE)
            .optional("smt", BOOLEAN)
            .optionalVariant("cpu_template", CPU_TEMPLATES)
            .optional("track_dirty_pages", BOOLEAN)
            .optionalVariant("huge_pages", HUGE_PAGES);

    static final BodySchema DRIVE = new BodySchema("BlockDeviceConfig")
            .required("drive_id", STRING)
            .optional("partuuid", STRING)
            .required("is_root_device", BOOLEAN)
            .optionalVariant("cache_type", "Unsafe", "Writeback")
            .optional("is_read_only", BOOLEAN)
            .optional("path_on_host", STRING)
            .optionalObject("rate_limiter", RATE_LIMITER)
            .optionalVariant("io_engine", "Sync", "Async")
            .optional("socket", STRING);

    static final BodySchema PARTIAL_DRIVE = new BodySchema("BlockDeviceUpdateConfig")
            .required("drive_id", STRING)
            .optional("path_on_host", STRING)
            .optionalObject("rate_limiter", RATE_LIMITER);

    static final BodySchema NETWORK_INTERFACE = new BodySchema("NetworkInterfaceConfig")
            .required("iface_id", STRING)
            .required("host_dev_name", STRING)
            .optional("guest_mac", STRING)
            .optional("mtu", U16)
            .optionalObject("rx_rate_limiter", RATE_LIMITER)
            .optionalObject("tx_rate_limiter", RATE_LIMITER);

    static final BodySchema PARTIAL_NETWORK_INTERFACE = new BodySchema("NetworkInterfaceUpdateConfig")
            .required("iface_id", STRING)
            .optionalObject("rx_rate_limiter", RATE_LIMITER)
            .optionalObject("tx_rate_limiter", RATE_LIMITER);

    static final BodySchema LOGGER = new BodySchema("LoggerConfig")
            .optional("log_path", STRING)
            .optional("level", STRING)
            .optional("show_level", BOOLEAN)
            .optional("show_log_origin", BOOLEAN)
            .optional("module", STRING);

    static final BodySchema METRICS = new BodySchema("MetricsConfig")
            .required("metrics_path", STRING)
            .optional("emit_id", BOOLEAN)
            .optional("properties", STRING_MAP);

    static final BodySchema INSTANCE_ACTION_INFO = new BodySchema("ActionBody")
            .requiredVariant("action_type", "FlushMetrics", "InstanceStart", "SendCtrlAltDel");

    static final BodySchema VM = new BodySchema("Vm")
            .requiredVariant("state", "Paused", "Resumed");

    static final BodySchema MMDS_CONFIG = new BodySchema("MmdsConfig")
            .optionalVariant("version", "V1", "V2")
            .required("network_interfaces", STRING_LIST)
            .optional("ipv4_address", STRING)
            .optional("imds_compat", BOOLEAN);

    private ApiTypes() {
    }
}
