// The Internet checksum (RFC 1071) of the input memory: r1 = data, r2 = length.
// Sums big-endian 16-bit words (an odd last byte is padded with zero), folds the carries
// and returns the one's complement. Run it with:
//   cargo run --release -- run --raw examples/checksum.bin --mem-in examples/ipv4_header.bin
    r0 = 0
    r3 = r1
    r4 = r1
    r4 += r2
words:
    r5 = r3
    r5 += 2
    if r5 > r4 goto tail
    r6 = *(u16 *)(r3 + 0x0)
    r6 = be16 r6
    r0 += r6
    r3 += 2
    goto words
tail:
    if r3 >= r4 goto fold
    r6 = *(u8 *)(r3 + 0x0)
    r6 <<= 8
    r0 += r6
fold:
    r5 = r0
    r5 >>= 16
    if r5 == 0 goto done
    r0 &= 0xffff
    r0 += r5
    goto fold
done:
    r0 ^= 0xffff
    exit
