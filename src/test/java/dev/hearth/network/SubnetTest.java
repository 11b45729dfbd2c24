package dev.hearth.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubnetTest {

    private final Subnet cut = Subnet.parse("172.16.0.0/16");

    @Test
    void slotAddressesAndNames() {
        Subnet.Slot slot = cut.slot(1);

        assertThat(slot.hostAddress()).isEqualTo("172.16.0.5");
        assertThat(slot.guestAddress()).isEqualTo("172.16.0.6");
        assertThat(slot.mac()).isEqualTo("06:00:AC:10:00:06");
        assertThat(slot.tapName()).isEqualTo("hearth1");
        assertThat(slot.kernelIpArgument()).isEqualTo("ip=172.16.0.6::172.16.0.5:255.255.255.252::eth0:off");
    }

    @Test
    void slotsCrossOctetBoundaries() {
        Subnet.Slot slot = cut.slot(64);

        assertThat(slot.hostAddress()).isEqualTo("172.16.1.1");
        assertThat(slot.guestAddress()).isEqualTo("172.16.1.2");
        assertThat(slot.mac()).isEqualTo("06:00:AC:10:01:02");
    }

    @Test
    void everySlotIsDistinctAndTapNamesFitTheKernelLimit() {
        Set<String> guests = new HashSet<>();
        Set<String> macs = new HashSet<>();
        Set<String> taps = new HashSet<>();
        for (int n = 1; n <= cut.maxSlot(); n++) {
            Subnet.Slot slot = cut.slot(n);
            guests.add(slot.guestAddress());
            macs.add(slot.mac());
            taps.add(slot.tapName());
            assertThat(slot.tapName().length()).isLessThanOrEqualTo(15);
        }
        assertThat(cut.maxSlot()).isEqualTo(16383);
        assertThat(guests).hasSize(cut.maxSlot());
        assertThat(macs).hasSize(cut.maxSlot());
        assertThat(taps).hasSize(cut.maxSlot());
    }

    @Test
    void lastSlotStaysInsideTheSubnet() {
        Subnet.Slot last = cut.slot(cut.maxSlot());

        assertThat(last.guestAddress()).isEqualTo("172.16.255.254");
        assertThatThrownBy(() -> cut.slot(cut.maxSlot() + 1)).hasMessageContaining("outside 1..16383");
        assertThatThrownBy(() -> cut.slot(0)).hasMessageContaining("outside");
    }

    @Test
    void invalidSubnetsAreRejected() {
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0")).hasMessageContaining("expected CIDR notation");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.1/16")).hasMessageContaining("host bits set");
        assertThatThrownBy(() -> Subnet.parse("300.16.0.0/16")).hasMessageContaining("above 255");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/30")).hasMessageContaining("outside /8 to /29");
    }

    @Test
    void tapPrefixNamesTheDevices() {
        Subnet other = Subnet.parse("10.0.0.0/8", "hx");

        assertThat(other.slot(7).tapName()).isEqualTo("hx7");
        assertThat(Subnet.parse("10.0.0.0/8", "abcdefgh").slot(other.maxSlot()).tapName()).hasSize(15);
    }

    @Test
    void invalidTapPrefixesAreRejected() {
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/16", "abcdefghi")).hasMessageContaining("invalid TAP name prefix");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/16", "Tap")).hasMessageContaining("invalid TAP name prefix");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/16", "t;p")).hasMessageContaining("invalid TAP name prefix");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/16", "")).hasMessageContaining("invalid TAP name prefix");
        assertThatThrownBy(() -> Subnet.parse("172.16.0.0/16", "tap1")).as("a prefix ending in a digit")
                .hasMessageContaining("invalid TAP name prefix");
    }

    @Test
    void slotOfTapReadsOnlyThisSubnetsNames() {
        assertThat(cut.slotOfTap("hearth12")).isEqualTo(12);
        assertThat(cut.slotOfTap("hearth16383")).isEqualTo(16383);
        assertThat(cut.slotOfTap("hearth16384")).as("beyond the last slot").isEqualTo(-1);
        assertThat(cut.slotOfTap("hearth")).isEqualTo(-1);
        assertThat(cut.slotOfTap("hearth012")).isEqualTo(-1);
        assertThat(cut.slotOfTap("hearthx1")).isEqualTo(-1);
        assertThat(cut.slotOfTap("eth0")).isEqualTo(-1);
        assertThat(cut.slotOfTap("hearth99999999999")).isEqualTo(-1);
        assertThat(Subnet.parse("10.0.0.0/8", "h").slotOfTap("h99999999999999")).as("too many digits for an int").isEqualTo(-1);
    }
}
