#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# bench/mint.pl ALG KEYFILE COUNT OUTFILE [KIND]
# Mints COUNT distinct tokens (one per line) with Crypt::JWT, an
# implementation independent of the module. Every token has its own jti and
# sub, so no two are equal and no cache keyed on the token can serve one
# for another. KIND: valid (default), badsig (signature of another
# token), expired (exp an hour ago). Splits the work over the CPUs because
# CryptX's RSA signing runs at a few hundred tokens per second.
use strict;
use warnings;
use Crypt::JWT qw(encode_jwt);
use Crypt::PK::RSA;
use Crypt::PK::ECC;
use Crypt::PK::Ed25519;

my ($alg, $keyfile, $count, $out, $kind) = @ARGV;
die "usage: mint.pl ALG KEYFILE COUNT OUTFILE [valid|badsig|expired]\n"
    unless defined $out;
$kind ||= 'valid';

sub load_key {
    if ($alg =~ /^HS/) {
        open my $fh, '<:raw', $keyfile or die "$keyfile: $!";
        local $/; my $k = <$fh>; return $k;
    }
    return Crypt::PK::RSA->new($keyfile) if $alg =~ /^(RS|PS)/;
    return Crypt::PK::ECC->new($keyfile) if $alg =~ /^ES/;
    return Crypt::PK::Ed25519->new($keyfile) if $alg eq 'EdDSA';
    die "unknown alg $alg\n";
}

my $ncpu = 1;
if (open my $c, '<', '/proc/cpuinfo') {
    $ncpu = grep { /^processor\s*:/ } <$c>;
}
$ncpu = 1 if $count < 2000 || $alg =~ /^HS/;
my $now = time;
my $tag = sprintf '%x%04x', $now, $$ & 0xffff;

my @kids;
for my $w (0 .. $ncpu - 1) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid) { push @kids, $pid; next; }
    my $key = load_key();
    open my $fh, '>', "$out.part$w" or die "$out.part$w: $!";
    for (my $i = $w; $i < $count; $i += $ncpu) {
        my %p = (
            sub   => "user$i",
            iat   => $now - 60,
            exp   => $kind eq 'expired' ? $now - 3600 : $now + 3 * 86400,
            jti   => "$tag-$kind-$i",
            roles => [ 'admin', 'user' ],
            scope => 'read write',
        );
        my $t = encode_jwt(payload => \%p, alg => $alg, key => $key,
                           extra_headers => { typ => 'JWT' });
        if ($kind eq 'badsig') {
            # keep the shape, break the signature: flip its first character
            my ($h, $b, $s) = split /\./, $t;
            substr($s, 0, 1) = substr($s, 0, 1) eq 'A' ? 'B' : 'A';
            $t = "$h.$b.$s";
        }
        print $fh "$t\n";
    }
    close $fh or die "$out.part$w: $!";
    exit 0;
}
for (@kids) { waitpid $_, 0; die "mint worker failed\n" if $? }
open my $o, '>', "$out.tmp" or die "$out.tmp: $!";
for my $w (0 .. $ncpu - 1) {
    open my $p, '<', "$out.part$w" or die; print $o $_ while <$p>;
    close $p; unlink "$out.part$w";
}
close $o or die;
rename "$out.tmp", $out or die "rename: $!";
