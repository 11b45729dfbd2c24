package dev.hearth.network;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An IPv4 subnet cut into /30 slots. Slot {@code n} is the /30 at offset {@code 4n}; slot 0 is
 * never used, so the subnet's own first address stays unassigned. Slot {@code n}'s TAP device is
 * {@code tapPrefix} followed by {@code n}.
 */
public record Subnet(int network, int prefixLength, String tapPrefix) {

    private static final Pattern CIDR = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})/(\\d{1,2})");

    /**
     * A TAP name prefix: up to 8 characters, so that prefix and a slot number of a /8 fit in 15.
     * It ends in a letter, so that no device of prefix {@code tap1} looks like one of {@code tap}.
     */
    private static final Pattern TAP_PREFIX = Pattern.compile("[a-z]([a-z0-9]{0,6}[a-z])?");

    /** The TAP name prefix when none is configured. */
    public static final String DEFAULT_TAP_PREFIX = "hearth";

    /** The netmask of every slot. */
    public static final String SLOT_NETMASK = "255.255.255.252";

    public Subnet {
        if (tapPrefix == null || !TAP_PREFIX.matcher(tapPrefix).matches()) {
            throw new IllegalArgumentException("invalid TAP name prefix '" + tapPrefix
                    + "': expected 1 to 8 lowercase letters or digits, starting and ending with a letter");
        }
        if (prefixLength < 8 || prefixLength > 29) {
            throw new IllegalArgumentException("subnet prefix length /" + prefixLength + " is outside /8 to /29");
        }
        if ((network & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("subnet " + format(network) + "/" + prefixLength + " has host bits set");
        }
    }

    /** Parses CIDR notation such as {@code 172.16.0.0/16}, with the default TAP name prefix. */
    public static Subnet parse(String cidr) {
        return parse(cidr, DEFAULT_TAP_PREFIX);
    }

    /** Parses CIDR notation such as {@code 172.16.0.0/16}. */
    public static Subnet parse(String cidr, String tapPrefix) {
        Matcher matcher = CIDR.matcher(cidr.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("invalid subnet '" + cidr + "': expected CIDR notation such as 172.16.0.0/16");
        }
        int address = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(matcher.group(i));
            if (octet > 255) {
                throw new IllegalArgumentException("invalid subnet '" + cidr + "': octet " + octet + " is above 255");
            }
            address = (address << 8) | octet;
        }
        return new Subnet(address, Integer.parseInt(matcher.group(5)), tapPrefix);
    }

    /** The highest usable slot number. */
    public int maxSlot() {
        return (1 << (32 - prefixLength - 2)) - 1;
    }

    /** Addresses, MAC and TAP name of slot {@code slot}. */
    public Slot slot(int slot) {
        if (slot < 1 || slot > maxSlot()) {
            throw new IllegalArgumentException("slot " + slot + " is outside 1.." + maxSlot() + " of " + this);
        }
        int base = network + 4 * slot;
        int guest = base + 2;
        String mac = String.format(Locale.ROOT, "06:00:%02X:%02X:%02X:%02X",
                (guest >>> 24) & 0xff, (guest >>> 16) & 0xff, (guest >>> 8) & 0xff, guest & 0xff);
        return new Slot(slot, format(base + 1), format(guest), mac, tapPrefix + slot);
    }

    /**
     * Returns the slot number that {@code name} would have as one of this subnet's TAP devices,
     * or -1 when it is not such a name.
     */
    public int slotOfTap(String name) {
        if (!name.startsWith(tapPrefix) || name.length() == tapPrefix.length() || name.length() > 15) {
            return -1;
        }
        String digits = name.substring(tapPrefix.length());
        if (digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9') || digits.startsWith("0")) {
            return -1;
        }
        int slot = Integer.parseInt(digits);
        return slot <= maxSlot() ? slot : -1;
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefixLength;
    }

    private static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    static String format(int address) {
        return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    /**
     * One VM's share of the subnet. The MAC is {@code 06:00:} followed by the guest address's
     * four bytes; the TAP name is at most 15 characters, the kernel's limit.
     */
    public record Slot(int number, String hostAddress, String guestAddress, String mac, String tapName) {

        /** The kernel argument with which the guest configures eth0. */
        public String kernelIpArgument() {
            return "ip=" + guestAddress + "::" + hostAddress + ":" + SLOT_NETMASK + "::eth0:off";
        }
    }
}
