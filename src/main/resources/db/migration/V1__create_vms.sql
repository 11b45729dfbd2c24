-- One row per VM. Slot, TAP name, MAC and guest address are unique among live VMs: a deleted
-- VM's row keeps its history with those columns set to NULL, and MariaDB's unique indexes
-- allow any number of NULLs.
CREATE TABLE vms (
    id               CHAR(36)     NOT NULL,
    name             VARCHAR(63)  NOT NULL,
    state            VARCHAR(16)  NOT NULL,
    state_reason     TEXT         NULL,
    image            VARCHAR(63)  NOT NULL,
    vcpus            INT          NOT NULL,
    memory_mib       INT          NOT NULL,
    rootfs_path      VARCHAR(512) NULL,
    socket_path      VARCHAR(512) NULL,
    firecracker_pid  BIGINT       NULL,
    slot             INT          NULL,
    guest_address    VARCHAR(15)  NULL,
    host_address     VARCHAR(15)  NULL,
    mac              VARCHAR(17)  NULL,
    tap_name         VARCHAR(15)  NULL,
    host_public_key  TEXT         NULL,
    metadata         TEXT         NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL,
    version          BIGINT       NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_vms_slot UNIQUE (slot),
    CONSTRAINT uq_vms_tap_name UNIQUE (tap_name),
    CONSTRAINT uq_vms_mac UNIQUE (mac),
    CONSTRAINT uq_vms_guest_address UNIQUE (guest_address)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE INDEX ix_vms_state ON vms (state);

-- How long each provisioning step took, in milliseconds.
CREATE TABLE vm_timings (
    vm_id  CHAR(36)    NOT NULL,
    step   VARCHAR(32) NOT NULL,
    millis BIGINT      NOT NULL,
    PRIMARY KEY (vm_id, step),
    CONSTRAINT fk_vm_timings_vm FOREIGN KEY (vm_id) REFERENCES vms (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
