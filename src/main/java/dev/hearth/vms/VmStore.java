package dev.hearth.vms;

import dev.hearth.network.Subnet;
import dev.hearth.platform.HearthException;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Reads and writes VM rows, each call in a transaction of its own unless the caller has one. */
@Stateless
public class VmStore {

    private static final Logger LOG = Logger.getLogger(VmStore.class.getName());

    @PersistenceContext(unitName = "hearth")
    EntityManager em;

    public MicroVm insert(MicroVm vm) {
        em.persist(vm);
        em.flush();
        return vm;
    }

    /**
     * Inserts {@code vm} if it fits: fewer than {@code maxVms} live VMs, and its memory within
     * {@code memoryBudgetMib} together with that of every VM that may have a Firecracker process.
     * The row of {@code admission_lock} stays locked until the transaction ends, so concurrent
     * admissions run one after the other and cannot both take the last place.
     *
     * @throws HearthException 409 when the VM does not fit
     */
    public MicroVm admit(MicroVm vm, int maxVms, long memoryBudgetMib) {
        em.createNativeQuery("SELECT id FROM admission_lock WHERE id = 1 FOR UPDATE").getResultList();
        long live = countLive();
        if (live >= maxVms) {
            LOG.log(Level.INFO, "Rejected VM {0}: {1} live VMs, the maximum is {2}", new Object[] {vm.getId(), live, maxVms});
            throw new HearthException(409, "VM limit reached", "there are already " + live + " VMs and the maximum is "
                    + maxVms + " (hearth.limits.max-vms); delete one first", null);
        }
        long inUse = em.createNamedQuery(MicroVm.MEMORY_IN_USE, Number.class).getSingleResult().longValue();
        if (inUse + vm.getMemoryMib() > memoryBudgetMib) {
            LOG.log(Level.INFO, "Rejected VM {0}: {1} MiB more does not fit, {2} of {3} MiB are in use",
                    new Object[] {vm.getId(), vm.getMemoryMib(), inUse, memoryBudgetMib});
            throw new HearthException(409, "Memory budget exhausted", "memoryMib " + vm.getMemoryMib()
                    + " does not fit: VMs already use " + inUse + " of the " + memoryBudgetMib
                    + " MiB budget (hearth.limits.memory-budget-mib); ask for less or delete a VM first", null);
        }
        return insert(vm);
    }

    public Optional<MicroVm> find(String id) {
        return Optional.ofNullable(em.find(MicroVm.class, id));
    }

    /** Live VMs, or those in {@code state} when it is given (which can be {@code DELETED}). */
    public List<MicroVm> list(VmState state) {
        if (state == null) {
            return em.createNamedQuery(MicroVm.ALL, MicroVm.class).getResultList();
        }
        return em.createNamedQuery(MicroVm.BY_STATE, MicroVm.class).setParameter("state", state).getResultList();
    }

    /** Counts every row, {@code DELETED} ones included. */
    public long countAll() {
        return em.createQuery("SELECT COUNT(v) FROM MicroVm v", Long.class).getSingleResult();
    }

    public long countLive() {
        return em.createNamedQuery(MicroVm.COUNT_LIVE, Long.class).getSingleResult();
    }

    public List<Integer> usedSlots() {
        return em.createNamedQuery(MicroVm.USED_SLOTS, Integer.class).getResultList();
    }

    /** Applies {@code change} to the row and writes it; fails if the row is gone. */
    public MicroVm update(String id, Consumer<MicroVm> change) {
        MicroVm vm = em.find(MicroVm.class, id);
        if (vm == null) {
            throw new IllegalStateException("VM " + id + " has no row");
        }
        change.accept(vm);
        em.flush();
        return vm;
    }

    /**
     * Records {@code slot} on the VM in a transaction of its own. The unique constraints on
     * slot, TAP name, MAC and guest address make a concurrent claim of the same slot fail at
     * commit, which the caller receives as an {@link jakarta.ejb.EJBException} and retries
     * with the next free slot.
     */
    @TransactionAttribute(TransactionAttributeType.REQUIRES_NEW)
    public void claimSlot(String id, Subnet.Slot slot) {
        update(id, vm -> vm.assignSlot(slot.number(), slot.hostAddress(), slot.guestAddress(), slot.mac(), slot.tapName()));
    }
}
