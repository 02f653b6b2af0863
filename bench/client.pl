#!/usr/bin/perl
# SPDX-License-Identifier: Apache-2.0
# bench/client.pl HOST PORT PATH COUNT TOKENFILE|- [OFFSET]
# A sequential HTTP/1.1 keep-alive client for the callgrind runs: one
# connection, COUNT requests, each with the next token of TOKENFILE (cycling;
# "-" sends no Authorization header). Prints "status=N count" lines at the
# end. Speed does not matter: the server, not this, runs under valgrind.
use strict;
use warnings;
use IO::Socket::INET;

my ($host, $port, $path, $count, $file, $off) = @ARGV;
die "usage: client.pl HOST PORT PATH COUNT TOKENFILE|- [OFFSET]\n"
    unless defined $file;
$off ||= 0;
my @tok;
if ($file ne '-') {
    open my $fh, '<', $file or die "$file: $!";
    chomp(@tok = <$fh>);
    die "$file: no tokens\n" unless @tok;
}

my $sock;
sub conn {
    $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
                                  Proto => 'tcp', Timeout => 120)
        or die "connect $host:$port: $!\n";
    binmode $sock;
}
conn();
my %st;
for my $i (0 .. $count - 1) {
    my $auth = @tok ? "Authorization: Bearer " . $tok[($off + $i) % @tok]
                      . "\r\n" : '';
    my $req = "GET $path HTTP/1.1\r\nHost: $host\r\n${auth}\r\n";
    print $sock $req or do { conn(); print $sock $req };
    # headers
    my ($status, $len, $close) = (0, 0, 0);
    my $line = <$sock>;
    die "connection closed by server\n" unless defined $line;
    ($status) = $line =~ m{^HTTP/1\.\d (\d{3})};
    while (defined($line = <$sock>)) {
        last if $line eq "\r\n";
        $len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
        $close = 1 if $line =~ /^Connection:\s*close/i;
    }
    my $body = '';
    read($sock, $body, $len) if $len;
    $st{$status}++;
    conn() if $close;
}
close $sock;
print join(' ', map { "status=$_ $st{$_}" } sort keys %st), "\n";
