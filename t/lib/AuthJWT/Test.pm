# SPDX-License-Identifier: Apache-2.0
package AuthJWT::Test;
# Helpers for the mod_auth_jwt Apache::Test suite: mint tokens (Crypt::JWT
# for well-formed ones, hand-built for hostile ones) with the keys t/TEST
# generated, send requests, and look at the error log since a mark.
# On request (use AuthJWT::Test qw(:DEFAULT tok run_id claims_of)): the
# run-unique tokens of the revocation tests, and a token's claims.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use Test::More;
use Apache::Test ();
use Apache::TestRequest ();
use Apache::TestUtil ();
use Crypt::JWT ();
use Crypt::PK::RSA ();
use Crypt::PK::ECC ();
use Crypt::PK::Ed25519 ();
use Crypt::Mac::HMAC ();
use MIME::Base64 ();
use JSON ();

our @EXPORT = qw(
    NOW keys_dir keyfile secret mint sign_raw b64u b64u_json json_c
    GET_ bearer basic cookie log_mark log_since access_mark access_since
    check_deny check_ok www_invalid www_none www_scope write_htaccess pad_to
);
our @EXPORT_OK = qw(tok run_id claims_of);

my $vars = Apache::Test::vars();
my $keys = "$vars->{serverroot}/keys";

sub NOW () { time }
sub keys_dir { $keys }
sub keyfile { "$keys/$_[0]" }

sub json_c { JSON->new->canonical->allow_nonref }

sub slurp {
    my $f = shift;
    open my $fh, '<', $f or die "$f: $!";
    binmode $fh;
    local $/;
    my $d = <$fh>;
    return $d;
}

# The HMAC secret of a key name: "hs64", "hs32" (files) or "env".
sub secret {
    my $name = shift;
    return $ENV{AJWT_TEST_SECRET} if $name eq 'env';
    return slurp("$keys/$name.secret");
}

sub b64u {
    my $s = MIME::Base64::encode_base64url(shift);
    return $s;
}

sub b64u_json { b64u(ref $_[0] ? json_c()->encode($_[0]) : $_[0]) }

# The claims of a token, decoded and NOT verified ({} when there are none).
sub claims_of {
    my (undef, $p) = split /\./, $_[0] // '';
    my $c = eval {
        JSON::decode_json(MIME::Base64::decode_base64url($p // ''));
    };
    return ref $c eq 'HASH' ? $c : {};
}

# The private key object for a key name (rsa, rsa2, ec256, ed, evil-rsa...).
sub pk {
    my $name = shift;
    my $f = "$keys/$name.key";
    return Crypt::PK::Ed25519->new($f) if $name =~ /ed$/;
    return Crypt::PK::ECC->new($f)     if $name =~ /ec\d+$/;
    return Crypt::PK::RSA->new($f);
}

my %default_key = (
    HS256 => 'hs64', HS384 => 'hs64', HS512 => 'hs64',
    RS256 => 'rsa', RS384 => 'rsa', RS512 => 'rsa',
    PS256 => 'rsa', PS384 => 'rsa', PS512 => 'rsa',
    ES256 => 'ec256', ES384 => 'ec384', ES512 => 'ec521',
    EdDSA => 'ed',
);

# The HMAC key of a key name: "raw:BYTES" is BYTES themselves (a secret a
# test wrote into its own file), anything else a name for secret().
sub hmac_key {
    my $kname = shift;
    return $kname =~ /^raw:(.*)$/s ? $1 : secret($kname);
}

# mint(alg => 'RS256', key => 'rsa', claims => {...}, header => {...})
# with Crypt::JWT. Default claims: sub alice, iat now, exp now+600; a claim
# given as undef is left out. For HS* the key may be "raw:BYTES".
sub mint {
    my %o = @_;
    my $alg = $o{alg} || 'RS256';
    my $kname = $o{key} || $default_key{$alg};
    my %c = (sub => 'alice', iat => NOW, exp => NOW + 600,
             %{ $o{claims} || {} });
    delete $c{$_} for grep { !defined $c{$_} } keys %c;
    my $key = $alg =~ /^HS/ ? hmac_key($kname) : pk($kname);
    return Crypt::JWT::encode_jwt(
        payload => \%c, alg => $alg, key => $key,
        extra_headers => $o{header} || {},
    );
}

# Tokens unique to this run of a test file, for the revocation tests (a
# store can outlive a run: a jti or sub must not come back). tok(%claims)
# mints an HS256 token with the hs64 secret, sub "u-RUN" and jti
# "j-RUN-N" (RUN: run_id(), the time and PID in hex; N counts up from 1),
# the claims given added or in their place (undef: left out). Two of the
# pairs are options, not claims: key => NAME signs with another secret,
# ttl => S sets exp S seconds from now (mint's default: 600).
my $RUN = sprintf '%x%x', time, $$;
my $tok_n = 0;
sub run_id { $RUN }
sub tok {
    my %c = @_;
    my $key = delete $c{key} || 'hs64';
    my $ttl = delete $c{ttl};
    return mint(alg => 'HS256', key => $key,
                claims => { sub => "u-$RUN", jti => "j-$RUN-" . ++$tok_n,
                            (defined $ttl ? (exp => int(time) + $ttl) : ()),
                            %c });
}

my %hash = (256 => 'SHA256', 384 => 'SHA384', 512 => 'SHA512');

# sign_raw($alg, $keyname, $header_json_text, $payload_json_text): full
# control of the bytes (duplicate members, odd types). alg in the header is
# whatever the given text says; $alg only chooses the signature.
sub sign_raw {
    my ($alg, $kname, $h, $p) = @_;
    $kname ||= $default_key{$alg};
    my $input = b64u(ref $h ? json_c()->encode($h) : $h) . '.'
              . b64u(ref $p ? json_c()->encode($p) : $p);
    my $sig;
    if ($alg =~ /^HS(\d+)$/) {
        my $h = $hash{$1};
        $sig = Crypt::Mac::HMAC::hmac($h, hmac_key($kname), $input);
    }
    elsif ($alg =~ /^RS(\d+)$/) {
        $sig = pk($kname)->sign_message($input, $hash{$1}, 'v1.5');
    }
    elsif ($alg =~ /^PS(\d+)$/) {
        $sig = pk($kname)->sign_message($input, $hash{$1}, 'pss', $1 / 8);
    }
    elsif ($alg =~ /^ES(\d+)$/) {
        $sig = pk($kname)->sign_message_rfc7518($input, $hash{$1});
    }
    elsif ($alg eq 'EdDSA') {
        $sig = pk($kname)->sign_message($input);
    }
    elsif ($alg eq 'DER256') {      # ES256 signed, ASN.1 DER signature
        $sig = pk($kname)->sign_message($input, 'SHA256');
    }
    else {
        $sig = '';
    }
    return "$input." . b64u($sig);
}

# A valid RS256 token of exactly $len bytes (pads a claim; varies a header
# member when a length cannot be reached through the payload alone).
sub pad_to {
    my ($len, %o) = @_;
    for my $hpad (0 .. 3) {
        my %h = (%{ $o{header} || {} }, ($hpad ? (x => 'y' x $hpad) : ()));
        my $tok = sub {
            mint(%o, claims => { %{ $o{claims} || {} }, pad => 'x' x $_[0] },
                 header => \%h);
        };
        my $n0 = int(($len - length $tok->(0)) * 3 / 4) - 12;
        $n0 = 0 if $n0 < 0;
        for my $n ($n0 .. $len) {
            my $t = $tok->($n);
            return $t if length $t == $len;
            last if length $t > $len;
        }
    }
    die "pad_to: cannot reach $len";
}

# Requests. GET_ returns an HTTP::Response; never follows redirects.
sub GET_ {
    my ($url, @h) = @_;
    return Apache::TestRequest::GET($url, @h);
}
sub bearer { (Authorization => "Bearer $_[0]") }
sub basic {
    my ($user, $pw) = @_;
    return (Authorization => 'Basic '
            . MIME::Base64::encode_base64("$user:$pw", ''));
}
sub cookie { (Cookie => join '; ', map { "$_->[0]=$_->[1]" } @_) }

# The error log since a mark.
my $error_log = "$vars->{t_logs}/error_log";
my $access_log = "$vars->{t_logs}/access_log";
sub log_mark { -s $error_log || 0 }
sub access_mark { -s $access_log || 0 }
sub tail_from {
    my ($f, $mark) = @_;
    # The log is written before the response leaves; a short pause still
    # guards against a line buffered by another process (cgid, proxy).
    select undef, undef, undef, 0.05;
    open my $fh, '<', $f or return '';
    seek $fh, $mark, 0;
    local $/;
    my $d = <$fh>;
    return defined $d ? $d : '';
}
sub log_since { tail_from($error_log, $_[0]) }
sub access_since { tail_from($access_log, $_[0]) }

sub www_invalid { qq{Bearer realm="$_[0]", error="invalid_token"} }
# no token at all: a challenge without an error code (RFC 6750 3.1)
sub www_none    { qq{Bearer realm="$_[0]"} }
sub www_scope   { qr{^Bearer realm="\Q$_[0]\E", error="insufficient_scope"(?:, scope="[^"]*")?$} }

# check_deny($name, sub { request }, tag => 'AH70008' | [tags],
#            token => $t, status => 401, realm => 'ajwt', after => sub {...})
# One subtest: the status, the WWW-Authenticate header (for 401 with
# AuthType jwt), the AH tag in the error log, the token never logged, and,
# when after is given, a valid request right after still answered 200.
sub check_deny {
    my ($name, $req, %o) = @_;
    my $status = exists $o{status} ? $o{status} : 401;
    my $realm = exists $o{realm} ? $o{realm} : 'ajwt';
    subtest $name => sub {
        my $mark = log_mark();
        my $r = $req->();
        is($r->code, $status, "status $status");
        my $none = grep { $_ eq 'AH70002' }
                   ref $o{tag} ? @{ $o{tag} } : ($o{tag} // ());
        if ($status == 401 && defined $realm && $none) {
            is(scalar $r->header('WWW-Authenticate'), www_none($realm),
               'WWW-Authenticate without an error code (no token)');
        }
        elsif ($status == 401 && defined $realm) {
            is(scalar $r->header('WWW-Authenticate'), www_invalid($realm),
               'WWW-Authenticate invalid_token');
        }
        my $log = log_since($mark);
        if (my $tag = $o{tag}) {
            my @tags = ref $tag ? @$tag : ($tag);
            my $re = join '|', map { quotemeta } @tags;
            ok($log =~ /\b($re):/, "error log has @tags")
                or diag("error log since mark:\n$log");
            # AH70NNN: token refused (<status>): <reason> [id <log id>], at
            # warn level, info for "no token".
            my ($line) = $log =~ /^(.*\b(?:$re):.*)$/m;
            $line = '' unless defined $line;
            my $lvl = $line =~ /AH70002:/ ? 'info' : 'warn';
            like($line, qr/\[auth_jwt:$lvl\].*\bAH700\d\d: token refused (?#
                          )\([^)]+\): \S.* \[id \S+\]$/,
                 "log line format, $lvl level");
        }
        unlike($r->content, qr/AH700|signature|expired|issuer|audience|\bkid\b|
                               malformed|algorithm/xi, 'body says not why');
        if (defined(my $t = $o{token})) {
            my @seg = grep { length >= 16 } split /\./, $t;
            my @leak = grep { index($log, $_) >= 0 } @seg;
            ok(!@leak, 'token not in the error log')
                or diag('leaked segment: ' . substr($leak[0], 0, 40));
        }
        if (my $after = $o{after}) {
            my $r2 = $after->();
            is($r2->code, 200, 'valid request right after: 200');
        }
    };
}

# check_ok($name, sub { request }, status => 200, like => qr/.../)
sub check_ok {
    my ($name, $req, %o) = @_;
    my $status = $o{status} || 200;
    subtest $name => sub {
        my $mark = log_mark();
        my $r = $req->();
        is($r->code, $status, "status $status")
            or diag("error log since mark:\n" . log_since($mark));
        for my $re (@{ ref $o{like} eq 'ARRAY' ? $o{like}
                                               : [ $o{like} || () ] }) {
            like($r->content, $re, "body matches $re");
        }
        for my $re (@{ $o{unlike} || [] }) {
            unlike($r->content, $re, "body does not match $re");
        }
        $o{also}->($r) if $o{also};
    };
}

# Write t/htdocs/ht/.htaccess (removed again by Apache::Test's cleanup).
sub write_htaccess {
    my $file = "$vars->{documentroot}/ht/.htaccess";
    Apache::TestUtil::t_write_file($file, map { "$_\n" } @_);
    chmod 0644, $file;
    return $file;
}

1;
