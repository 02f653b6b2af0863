# SPDX-License-Identifier: Apache-2.0
# AuthJWTProfile fapi2 (FAPI 2.0 Security Profile, resource server).
# Start-up: each line that contradicts the profile where it applies (its
# own section, the sections inside it, what the section inherits from
# around it) stops `httpd -t` with AH70141 naming the file, line and
# directive of the contradicting line; the profile without a revocation
# store is AH70142 on the AuthJWTProfile line. A section that says
# AuthJWTProfile none, or gives the directive again, is left alone.
# Request time, on a good fapi2 configuration: an RS256 token (which the
# RSA key would fit) and an HS256 token are refused for their alg
# (AH70005 in the log); a PS256 one passes the alg check; a token in the
# AuthJWTCookie cookie is not looked at (header only).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT mint);
use AuthJWT::Instance;

my $n = 0;
# conf(SERVER_LINES, LOCATION_LINES): the directives at the server level,
# then a <Location /p> with AuthType jwt and the given lines.
sub conf {
    my ($top, $loc) = @_;
    return join('', map { "$_\n" } @$top)
         . "<Location /p>\n    AuthType jwt\n    AuthName f\n"
         . join('', map { "    $_\n" } @$loc)
         . "    Require valid-jwt\n</Location>\n";
}

my @store = ('AuthJWTRevocationStore shm');
my $key = 'AuthJWTKey @KEYS@/rsa.pub';

# refused($name, $tag, $directive_line_regex, $why, \@top, \@loc)
sub refused {
    my ($name, $tag, $at, $why, $top, $loc) = @_;
    subtest $name => sub {
        my $h = AuthJWT::Instance->new(name => 'fapi74b' . ++$n,
                                       conf => conf($top, $loc));
        my ($rc, $out) = $h->configtest;
        isnt($rc, 0, 'httpd -t fails');
        my $file = $h->conf_file;
        my @l = split /\n/, AuthJWT::Instance::slurp($file);
        my ($line) = grep { $l[$_ - 1] =~ $at } 1 .. @l;
        my ($dir) = $l[$line - 1] =~ /^\s*(\S+)/;
        like($out, qr/\b$tag: \Q$file\E:$line: \Q$dir\E\b/,
             "$tag names $file:$line and $dir") or diag($out);
        like($out, $why, "the reason: $why") or diag($out);
        unlike($out, qr/Syntax OK/, 'no Syntax OK');
    };
}

sub good {
    my ($name, $top, $loc) = @_;
    subtest $name => sub {
        my $h = AuthJWT::Instance->new(name => 'fapi74g' . ++$n,
                                       conf => conf($top, $loc));
        my ($rc, $out) = $h->configtest;
        is($rc, 0, 'httpd -t succeeds') or diag($out);
        like($out, qr/Syntax OK/, 'Syntax OK');
    };
}

my $p = 'AuthJWTProfile fapi2';
refused('token from a query parameter', 'AH70141', qr/TokenFrom/,
        qr/'query=t': FAPI 2\.0 takes the token from the Authorization (?#
          )header only, and AuthJWTProfile fapi2 \(.*:\d+\) applies here/,
        [@store, $key], [$p, 'AuthJWTTokenFrom header query=t']);
refused('token from a cookie, inherited from the server level', 'AH70141',
        qr/TokenFrom/, qr/'cookie=c': FAPI 2\.0/,
        [@store, $key, 'AuthJWTTokenFrom cookie=c'], [$p]);
refused('the profile at the server level, a cookie in a section',
        'AH70141', qr/TokenFrom/, qr/'cookie=c'/,
        [@store, $key, $p], ['AuthJWTTokenFrom header cookie=c']);
refused('RS256 among the algorithms', 'AH70141', qr/AuthJWTAlgorithms/,
        qr/'RS256': FAPI 2\.0 allows PS256, ES256 and EdDSA \(Ed25519\) only/,
        [@store, $key], [$p, 'AuthJWTAlgorithms PS256 RS256']);
refused('ES384 among the DPoP algorithms', 'AH70141',
        qr/DPoPAlgorithms/, qr/'ES384': FAPI 2\.0 allows/,
        [@store, $key, 'AuthJWTDPoPAlgorithms ES256 ES384'], [$p]);
refused('revocation off', 'AH70141', qr/AuthJWTRevocation Off/,
        qr/FAPI 2\.0 has revocation checked/,
        [@store, $key], [$p, 'AuthJWTRevocation Off']);
refused('revocation failure allow', 'AH70141', qr/RevocationFailure/,
        qr/also when the store cannot answer/,
        [@store, $key], [$p, 'AuthJWTRevocationFailure allow']);
refused('an HMAC secret', 'AH70141', qr/AuthJWTSecret/,
        qr/no shared-secret \(HMAC\) algorithm/,
        [@store, 'AuthJWTSecret file:@KEYS@/hs64.secret'], [$p]);
refused('no revocation store', 'AH70142', qr/AuthJWTProfile/,
        qr/no AuthJWTRevocationStore is configured/, [$key], [$p]);

subtest 'an RSA key under 2048 bits is refused anyway' => sub {
    my $h = AuthJWT::Instance->new(name => 'fapi74k',
        conf => conf([@store], [$p, 'AuthJWTKey @KEYS@/rsa1024.pub']));
    my ($rc, $out) = $h->configtest;
    isnt($rc, 0, 'httpd -t fails');
    like($out, qr/AuthJWTKey: .*2048/, 'AuthJWTKey names the size')
        or diag($out);
};

good('the allowed algorithms, DPoP or mTLS optional or required',
     [@store, $key, 'AuthJWTDPoPAlgorithms PS256 ES256 EdDSA Ed25519'],
     [$p, 'AuthJWTAlgorithms PS256 ES256 EdDSA Ed25519',
      'AuthJWTTokenFrom header', 'AuthJWTRevocation On',
      'AuthJWTDPoP Optional', 'AuthJWTMTLS Required']);
good('a section that gives the directive again overrides the server level',
     [@store, $key, 'AuthJWTTokenFrom cookie=c', 'AuthJWTAlgorithms RS256'],
     [$p, 'AuthJWTTokenFrom header', 'AuthJWTAlgorithms PS256']);
good('AuthJWTProfile none in a section: the server-level profile stops',
     [@store, $key, $p],
     ['AuthJWTProfile none', 'AuthJWTTokenFrom query=t',
      'AuthJWTAlgorithms RS256']);
good('a later AuthJWTProfile none in the same section wins',
     [@store, $key], [$p, 'AuthJWTTokenFrom query=t', 'AuthJWTProfile none']);

# --- request time ----------------------------------------------------------
my $h = AuthJWT::Instance->new(name => 'fapi74', children => 2,
    conf => conf([@store, $key, 'AuthJWTSignKey @KEYS@/ec256.key ES256 s1',
                  'AuthJWTCookie c'], [$p]));
$h->start;

sub refusal_of {
    my ($t, %o) = @_;
    my $mark = $h->log_mark;
    my $res = $h->get("/p", %o, (defined $t ? (token => $t) : ()));
    return ($res, $h->log_since($mark));
}

my ($res, $log) = refusal_of(mint(alg => 'RS256'));
is($res->code, 401, 'RS256 token (fits the RSA key): 401');
like($log, qr/AH70005: token refused \(algorithm refused\)/,
     'refused for its alg (AH70005)') or diag($log);
($res, $log) = refusal_of(mint(alg => 'HS256'));
is($res->code, 401, 'HS256 token: 401');
like($log, qr/AH70005: token refused/, 'refused for its alg (AH70005)')
    or diag($log);
($res, $log) = refusal_of(mint(alg => 'PS256'));
unlike($log, qr/AH70005/, 'PS256 token: not refused for its alg')
    or diag($log);
ok($res->code == 200 || $log =~ /AH7012[0-3]/,
   'PS256: accepted, or refused only for its sender constraint')
    or diag($res->code, $log);
($res, $log) = refusal_of(undef, cookie => 'c=' . mint(alg => 'PS256'));
is($res->code, 401, 'a token in the AuthJWTCookie cookie: 401');
like($log, qr/AH70002: token refused \(no token\)/,
     'fapi2 reads the Authorization header only') or diag($log);
$h->stop;

done_testing;
