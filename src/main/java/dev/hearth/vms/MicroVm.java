package dev.hearth.vms;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.MapKeyColumn;
import jakarta.persistence.NamedQuery;
import jakarta.persistence.PrePersist;
import jakarta.persistence.PreUpdate;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/** A VM as stored in the {@code vms} table; each resource it uses is recorded as soon as it is taken. */
@Entity
@Table(name = "vms")
@NamedQuery(name = MicroVm.ALL, query = "SELECT v FROM MicroVm v WHERE v.state <> dev.hearth.vms.VmState.DELETED ORDER BY v.createdAt")
@NamedQuery(name = MicroVm.BY_STATE, query = "SELECT v FROM MicroVm v WHERE v.state = :state ORDER BY v.createdAt")
@NamedQuery(name = MicroVm.COUNT_LIVE, query = "SELECT COUNT(v) FROM MicroVm v WHERE v.state <> dev.hearth.vms.VmState.DELETED")
@NamedQuery(name = MicroVm.MEMORY_IN_USE, query = "SELECT COALESCE(SUM(v.memoryMib), 0) FROM MicroVm v WHERE v.state IN "
        + "(dev.hearth.vms.VmState.PROVISIONING, dev.hearth.vms.VmState.BOOTING, dev.hearth.vms.VmState.RUNNING, "
        + "dev.hearth.vms.VmState.PAUSED, dev.hearth.vms.VmState.STOPPING)")
@NamedQuery(name = MicroVm.USED_SLOTS, query = "SELECT v.slot FROM MicroVm v WHERE v.slot IS NOT NULL ORDER BY v.slot")
public class MicroVm {

    static final String ALL = "MicroVm.all";
    static final String BY_STATE = "MicroVm.byState";
    static final String COUNT_LIVE = "MicroVm.countLive";
    static final String USED_SLOTS = "MicroVm.usedSlots";
    static final String MEMORY_IN_USE = "MicroVm.memoryInUse";

    @Id
    @Column(length = 36)
    private String id;

    private String name;

    @Enumerated(EnumType.STRING)
    private VmState state;

    @Column(name = "state_reason")
    private String stateReason;

    private String image;
    private int vcpus;

    @Column(name = "memory_mib")
    private int memoryMib;

    @Column(name = "rootfs_path")
    private String rootfsPath;

    @Column(name = "socket_path")
    private String socketPath;

    @Column(name = "firecracker_pid")
    private Long firecrackerPid;

    private Integer slot;

    @Column(name = "guest_address")
    private String guestAddress;

    @Column(name = "host_address")
    private String hostAddress;

    private String mac;

    @Column(name = "tap_name")
    private String tapName;

    @Column(name = "host_public_key")
    private String hostPublicKey;

    private String metadata;

    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "vm_timings", joinColumns = @JoinColumn(name = "vm_id"))
    @MapKeyColumn(name = "step")
    @Column(name = "millis")
    private Map<String, Long> timings = new HashMap<>();

    @Column(name = "created_at")
    private Instant createdAt;

    @Column(name = "updated_at")
    private Instant updatedAt;

    @Version
    private long version;

    protected MicroVm() {
    }

    public MicroVm(String id, String name, String image, int vcpus, int memoryMib, String metadata) {
        this.id = id;
        this.name = name;
        this.image = image;
        this.vcpus = vcpus;
        this.memoryMib = memoryMib;
        this.metadata = metadata;
        this.state = VmState.PROVISIONING;
    }

    @PrePersist
    void onCreate() {
        createdAt = Instant.now();
        updatedAt = createdAt;
    }

    @PreUpdate
    void onUpdate() {
        updatedAt = Instant.now();
    }

    public void transition(VmState newState, String reason) {
        this.state = newState;
        this.stateReason = reason;
    }

    /** Records the network resources of a slot; all null releases them. */
    public void assignSlot(Integer slot, String hostAddress, String guestAddress, String mac, String tapName) {
        this.slot = slot;
        this.hostAddress = hostAddress;
        this.guestAddress = guestAddress;
        this.mac = mac;
        this.tapName = tapName;
    }

    public void recordTiming(String step, long millis) {
        timings.put(step, millis);
    }

    public String getId() {
        return id;
    }

    public String getName() {
        return name;
    }

    public VmState getState() {
        return state;
    }

    public String getStateReason() {
        return stateReason;
    }

    public String getImage() {
        return image;
    }

    public int getVcpus() {
        return vcpus;
    }

    public int getMemoryMib() {
        return memoryMib;
    }

    public String getRootfsPath() {
        return rootfsPath;
    }

    public void setRootfsPath(String rootfsPath) {
        this.rootfsPath = rootfsPath;
    }

    public String getSocketPath() {
        return socketPath;
    }

    public void setSocketPath(String socketPath) {
        this.socketPath = socketPath;
    }

    public Long getFirecrackerPid() {
        return firecrackerPid;
    }

    public void setFirecrackerPid(Long firecrackerPid) {
        this.firecrackerPid = firecrackerPid;
    }

    public Integer getSlot() {
        return slot;
    }

    public String getGuestAddress() {
        return guestAddress;
    }

    public String getHostAddress() {
        return hostAddress;
    }

    public String getMac() {
        return mac;
    }

    public String getTapName() {
        return tapName;
    }

    public String getHostPublicKey() {
        return hostPublicKey;
    }

    public void setHostPublicKey(String hostPublicKey) {
        this.hostPublicKey = hostPublicKey;
    }

    public String getMetadata() {
        return metadata;
    }

    public Map<String, Long> getTimings() {
        return timings;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getUpdatedAt() {
        return updatedAt;
    }

    public long getVersion() {
        return version;
    }
}
