# SPDX-License-Identifier: Apache-2.0
# Hostile tokens. Each must be answered 401 (with the AH tag of its reason,
# the token never logged), and a valid request right after must still get
# 200: the server neither crashes nor gets stuck.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use Crypt::PK::RSA;
use Crypt::PK::ECC;

my $D = '/p/rsa-pem';
my $good = mint(alg => 'RS256');
my $after = sub { GET_($D, bearer($good)) };
my %claims = (sub => 'alice', iat => NOW, exp => NOW + 600);

sub hostile {
    my ($name, $t, $tag, %o) = @_;
    my $url = $o{url} || $D;
    check_deny($name, sub { GET_($url, bearer($t)) },
               tag => $tag, token => $t,
               after => $o{after} || $after);
}

# alg none in every casing, with and without a signature.
my $rs_sig = (split /\./, $good)[2];
for my $none (qw(none None NONE nOnE)) {
    my $hp = b64u_json({ alg => $none, typ => 'JWT' }) . '.'
           . b64u_json(\%claims);
    hostile("alg $none, empty signature", "$hp.", 'AH70005');
    hostile("alg $none, with a signature", "$hp.$rs_sig", 'AH70005');
}
hostile('alg missing', sign_raw('RS256', 'rsa', { typ => 'JWT' }, \%claims),
        [qw(AH70004 AH70005)]);
hostile('alg a number', sign_raw('RS256', 'rsa', { alg => 256 }, \%claims),
        [qw(AH70004 AH70005)]);
hostile('alg unknown (RS1)', sign_raw('RS256', 'rsa', { alg => 'RS1' }, \%claims),
        'AH70005');

# HS256 keyed with the RSA public key PEM (algorithm confusion).
{
    open my $fh, '<', keyfile('rsa.pub') or die;
    local $/;
    my $pem = <$fh>;
    for my $c ([$pem, 'PEM'], [do { (my $x = $pem) =~ s/\n\z//; $x },
                               'PEM without final newline']) {
        my $t = sign_raw('HS256', "raw:$c->[0]", { alg => 'HS256', typ => 'JWT' },
                         \%claims);
        hostile("HS256 keyed with the RSA $c->[1]", $t, [qw(AH70005 AH70007)]);
        hostile("HS256 keyed with the RSA $c->[1], RS256-only location", $t,
                'AH70005', url => '/p/rs256-only');
    }
}
# RS256 header over a PS256 signature, and the reverse.
hostile('RS256 header, PSS signature',
        sign_raw('PS256', 'rsa', { alg => 'RS256' }, \%claims), 'AH70008');
hostile('PS256 header, PKCS#1 v1.5 signature',
        sign_raw('RS256', 'rsa', { alg => 'PS256' }, \%claims), 'AH70008');

# kid tricks against a JWKS holding an RSA, an EC and an Ed25519 key.
{
    my $mafter = sub { GET_('/p/mixed', bearer(mint(alg => 'RS256',
                                 header => { kid => 'rsa-1' }))) };
    my %m = (url => '/p/mixed', after => $mafter);
    hostile('kid ../../etc/passwd',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => '../../etc/passwd' },
                     \%claims), 'AH70007', %m);
    hostile('kid of the EC key on an RS256 token',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => 'ec-1' }, \%claims),
            'AH70007', %m);
    hostile('kid of the RSA key on an ES256 token',
            sign_raw('ES256', 'ec256', { alg => 'ES256', kid => 'rsa-1' },
                     \%claims), 'AH70007', %m);
    hostile('kid as a number',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => 1 }, \%claims),
            'AH70006', %m);
    hostile('kid as an object',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => { a => 'rsa-1' } },
                     \%claims), 'AH70006', %m);
    hostile('unknown kid',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => 'nope' }, \%claims),
            'AH70007', %m);
    hostile('empty kid',
            sign_raw('RS256', 'rsa', { alg => 'RS256', kid => '' }, \%claims),
            [qw(AH70006 AH70007)], %m);
}

# Keys offered by the token itself are never used nor fetched.
{
    my $jwk = Crypt::PK::RSA->new(keyfile('evil-rsa.pub'))
                            ->export_key_jwk('public', 1);
    hostile('embedded jwk (attacker RSA key)',
            sign_raw('RS256', 'evil-rsa', { alg => 'RS256', jwk => $jwk },
                     \%claims), [qw(AH70006 AH70008)]);
    my $ecjwk = Crypt::PK::ECC->new(keyfile('evil-ec256.pub'))
                              ->export_key_jwk('public', 1);
    hostile('embedded jwk (attacker EC key)',
            sign_raw('ES256', 'evil-ec256', { alg => 'ES256', jwk => $ecjwk },
                     \%claims), [qw(AH70006 AH70008)], url => '/p/ec256',
            after => sub { GET_('/p/ec256', bearer(mint(alg => 'ES256'))) });
    my $port = Apache::Test::vars('port');
    for my $h (qw(jku x5u)) {
        my $probe = "/$h-probe-" . int(rand(1e9));
        my $amark = access_mark();
        hostile("$h pointing at localhost",
                sign_raw('RS256', 'evil-rsa', { alg => 'RS256', kid => 'evil',
                         $h => "http://127.0.0.1:$port$probe" }, \%claims),
                [qw(AH70006 AH70007 AH70008)]);
        unlike(access_since($amark), qr/\Q$probe\E/, "$h URL never fetched");
    }
}

# crit naming an extension nobody understands.
hostile('unknown crit',
        sign_raw('RS256', 'rsa', { alg => 'RS256', crit => ['x-ajwt'],
                                   'x-ajwt' => 1 }, \%claims), 'AH70006');
hostile('crit not an array',
        sign_raw('RS256', 'rsa', { alg => 'RS256', crit => 'exp' }, \%claims),
        [qw(AH70004 AH70006)]);

# Signature damage.
{
    my ($h, $p, $s) = split /\./, $good;
    hostile('stripped signature (h.p.)', "$h.$p.", [qw(AH70004 AH70008)]);
    hostile('no signature segment (h.p)', "$h.$p", 'AH70004');
    hostile('truncated signature (4 chars)', "$h.$p." . substr($s, 0, -4),
            [qw(AH70004 AH70008)]);
    hostile('truncated signature (1 char)', "$h.$p." . substr($s, 0, -1),
            [qw(AH70004 AH70008)]);
    hostile('signature of another token', "$h.$p." .
            (split /\./, mint(alg => 'RS256', claims => { sub => 'bob' }))[2],
            'AH70008');
    hostile('four segments', "$h.$p.$s.$s", 'AH70004');
    my $ecok = sub { GET_('/p/ec256', bearer(mint(alg => 'ES256'))) };
    hostile('ES256 with a DER signature',
            sign_raw('DER256', 'ec256', { alg => 'ES256' }, \%claims),
            [qw(AH70004 AH70008)], url => '/p/ec256', after => $ecok);
    my $hp = b64u_json({ alg => 'ES256' }) . '.' . b64u_json(\%claims);
    hostile('ES256 with r = s = 0', "$hp." . b64u("\0" x 64), 'AH70008',
            url => '/p/ec256', after => $ecok);
    hostile('ES256 with r = s = n (curve order)', "$hp." . b64u(
        pack('H*', 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551') x 2),
        'AH70008', url => '/p/ec256', after => $ecok);
}

# base64url strictness.
{
    my ($t, $h, $p, $s);
    for my $i (1 .. 500) {      # a payload segment with both '-' and '_'
        $t = mint(alg => 'RS256', claims => { jti => "j$i" . ('?' x ($i % 7)),
                                              n => '>>>???' x ($i % 5) });
        ($h, $p, $s) = split /\./, $t;
        last if $p =~ /-/ && $p =~ /_/;
    }
    (my $plus = $p) =~ tr/-/+/;
    (my $slash = $p) =~ tr/_/\//;
    hostile("'+' in the payload", "$h.$plus.$s", 'AH70004');
    hostile("'/' in the payload", "$h.$slash.$s", 'AH70004');
    my $pad = length($p) % 4 ? '=' x (4 - length($p) % 4) : '==';
    # RFC 6750's b64token allows '=' only at the end: inside, the header
    # is no Bearer credential at all (no token); via the query it is a
    # malformed token.
    hostile("'=' padding on the payload", "$h.$p$pad.$s",
            [qw(AH70002 AH70004)]);
    check_deny("'=' padding on the payload (query)",
               sub { GET_("/p/src-query?access_token=$h.$p$pad.$s") },
               tag => 'AH70004', token => "$h.$p.$s",
               after => sub { GET_("/p/src-query?access_token=$good") });
    hostile("'=' padding on the signature", "$h.$p.$s==", 'AH70004');
    my $mid = int(length($p) / 2);
    my $sp = substr($p, 0, $mid) . ' ' . substr($p, $mid);
    hostile('space inside the token (header)', "$h.$sp.$s",
            [qw(AH70002 AH70004)]);
    my $q = substr($p, 0, $mid) . '%20' . substr($p, $mid);
    check_deny('space inside the token (query, %20)',
               sub { GET_("/p/src-query?access_token=$h.$q.$s") },
               tag => 'AH70004', token => "$h.$p.$s",
               after => sub { GET_("/p/src-query?access_token=$good") });
}

# JSON abuse.
{
    my $e = NOW + 600;
    hostile('duplicate exp (past then future)', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":1000,"exp":$e})),
            'AH70004');
    hostile('duplicate exp (future then past)', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":$e,"exp":1000})),
            'AH70004');
    hostile('duplicate alg in the header', sign_raw('RS256', 'rsa',
            '{"alg":"RS256","alg":"none"}', \%claims), 'AH70004');
    my $deep = '[' x 3000 . ']' x 3000;
    my $big = sub { GET_('/p/big', bearer($good)) };
    hostile('3000 nested arrays in the payload', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":$e,"x":$deep})),
            'AH70004', url => '/p/big', after => $big);
    hostile('3000 nested arrays in the header', sign_raw('RS256', 'rsa',
            qq({"alg":"RS256","x":$deep}), \%claims), 'AH70004',
            url => '/p/big', after => $big);
    my $deepo = '{"":' x 2100 . '1' . '}' x 2100;
    hostile('2100 nested objects in the payload', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":$e,"x":$deepo})),
            'AH70004', url => '/p/big', after => $big);
    hostile('payload a JSON array', sign_raw('RS256', 'rsa', { alg => 'RS256' },
            qq([{"sub":"alice","exp":$e}])), 'AH70004');
    hostile('payload not JSON', sign_raw('RS256', 'rsa', { alg => 'RS256' },
            'sub=alice'), 'AH70004');
    hostile('payload with trailing data', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":$e} x)), 'AH70004');
    hostile('NUL in a claim', sign_raw('RS256', 'rsa', { alg => 'RS256' },
            qq({"sub":"ali\\u0000ce","exp":$e})), [qw(AH70004 AH70009)]);
}

# exp of the wrong type or range.
{
    my $e = NOW + 600;
    my %bad = (
        'exp as a string'   => qq("$e"),
        'exp a negative float' => '-0.5',
        'exp a float just past 9999-12-31' => '253402300799.5',
        'exp a huge float'  => '1e300',
        'exp just past 9999-12-31' => '253402300800',
        'exp negative'      => '-1',
        'exp true'          => 'true',
        'exp null'          => 'null',
        'exp an array'      => "[$e]",
    );
    for my $n (sort keys %bad) {
        hostile($n, sign_raw('RS256', 'rsa', { alg => 'RS256' },
                qq({"sub":"alice","exp":$bad{$n}})), 'AH70009');
    }
    hostile('exp huge (1e20 as an integer)', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, '{"sub":"alice","exp":100000000000000000000}'),
            [qw(AH70004 AH70009)]);
    hostile('exp missing', sign_raw('RS256', 'rsa', { alg => 'RS256' },
            '{"sub":"alice"}'), 'AH70009');
    hostile('nbf as a string', sign_raw('RS256', 'rsa', { alg => 'RS256' },
            qq({"sub":"alice","exp":$e,"nbf":"0"})), 'AH70009');
    # RFC 7519 section 2: a NumericDate may be non-integer. It is rounded
    # toward the stricter answer (exp down, nbf and iat up), never refused.
    for my $ok (["exp as a float", qq({"sub":"alice","exp":$e.5})],
                ['exp in exponent form',
                 sprintf('{"sub":"alice","exp":%.6e}', $e)]) {
        my $t = sign_raw('RS256', 'rsa', { alg => 'RS256' }, $ok->[1]);
        check_ok($ok->[0], sub { GET_($D, bearer($t)) });
    }
    my $past = NOW - 40;    # beyond the default leeway of 30 s
    hostile('exp a float in the past', sign_raw('RS256', 'rsa',
            { alg => 'RS256' }, qq({"sub":"alice","exp":$past.9})),
            'AH70010');
}

# Control characters in the user claim.
for my $c (["alice\r\nX-Evil: 1", 'CR/LF'], ["alice\n", 'LF'],
           ["ali\tce", 'TAB'], ["ali\x{1b}ce", 'ESC']) {
    hostile("$c->[1] in the user claim",
            mint(alg => 'RS256', claims => { sub => $c->[0] }), 'AH70009');
}
hostile('user claim an object',
        mint(alg => 'RS256', claims => { sub => { a => 1 } }), 'AH70009');

done_testing;
