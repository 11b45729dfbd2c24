-- One row that every create locks (SELECT ... FOR UPDATE) while it checks the VM limit and the
-- memory budget and inserts its VM, so that two creates cannot both take the last place.
CREATE TABLE admission_lock (
    id INT NOT NULL,
    PRIMARY KEY (id)
) ENGINE = InnoDB;

INSERT INTO admission_lock (id) VALUES (1);
