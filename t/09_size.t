# SPDX-License-Identifier: Apache-2.0
# Token size: AuthJWTMaxTokenSize (exactly at the limit passes, one byte
# over is AH70003, refused before parsing), and 1 MB tokens, which meet
# httpd's own request limits first (4xx) and leave the server serving.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use IO::Socket::INET;

my $good = mint(alg => 'RS256');

for my $c (['/p/small', 2048], ['/p/rsa-pem', 8192]) {
    my ($url, $max) = @$c;
    my $at = pad_to($max);
    my $over = pad_to($max + 1);
    check_ok("$url: token of exactly $max bytes", sub {
        GET_($url, bearer($at)) });
    check_deny("$url: token of " . ($max + 1) . " bytes", sub {
        GET_($url, bearer($over)) }, tag => 'AH70003', token => $over,
        after => sub { GET_($url, bearer($good)) });
}
{
    # Over the limit and garbage: refused for its size, not parsed.
    my $junk = ('A' x 9000);
    check_deny('9000 bytes of junk: oversize, not malformed', sub {
        GET_('/p/rsa-pem', bearer($junk)) }, tag => 'AH70003',
        after => sub { GET_('/p/rsa-pem', bearer($good)) });
    my $big = pad_to(12000);
    check_deny('12000-byte valid token over the default 8192', sub {
        GET_('/p/rsa-pem', bearer($big)) }, tag => 'AH70003', token => $big);
    check_ok('12000-byte valid token under AuthJWTMaxTokenSize 16000', sub {
        GET_('/p/big', bearer($big)) });
}

# 1 MB tokens, written on a raw socket: httpd may answer before the client
# has finished sending, which an HTTP client library reports as its own
# error instead of the server's status.
sub raw_status {
    my ($head) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => Apache::Test::vars('port'),
                                  Timeout => 20) or return "connect: $!";
    my $off = 0;
    while ($off < length $head) {
        my $n = syswrite($s, $head, 65536, $off);
        last unless $n;
        $off += $n;
    }
    shutdown $s, 1;
    my $resp = '';
    while (sysread($s, my $buf, 65536)) { $resp .= $buf }
    close $s;
    return $resp =~ m{^HTTP/1\.\d (\d{3})} ? $1 : "no status line";
}

my $mb = 'eyJhbGciOiJSUzI1NiJ9.' . ('A' x (1024 * 1024)) . '.AAAA';
my $host = Apache::Test::vars('servername') . ':' . Apache::Test::vars('port');
my %via = (
    header => ['/p/rsa-pem', "Authorization: Bearer $mb\r\n"],
    cookie => ['/p/src-cookie', "Cookie: jwt=$mb\r\n"],
    query  => ["/p/src-query?access_token=$mb", ''],
);
for my $how (sort keys %via) {
    my ($path, $hdr) = @{ $via{$how} };
    subtest "1 MB token via $how" => sub {
        my $st = raw_status("GET $path HTTP/1.1\r\nHost: $host\r\n$hdr"
                            . "Connection: close\r\n\r\n");
        like($st, qr/^4\d\d$/, "4xx from httpd (got $st)");
        is(GET_('/p/rsa-pem', bearer($good))->code, 200,
           'server still serving');
    };
}

done_testing;
