# Installs the broker's password file: copies the Secret farmiq-mosquitto-passwords (mounted read-only at
# /mosquitto/secret) to where mosquitto.conf expects it, on the broker's volume, readable by the broker
# only, atomically (the broker reads the old file or the new one, never half of one). POSIX sh (busybox).
#   sh install-passwords.sh           at start, in the init container render-config
#   sh install-passwords.sh SHA256    in the running broker container, after the Secret was replaced
#                                     (deploy/k8s/README.md): waits until the kubelet has updated the
#                                     mounted copy to the file with that SHA-256 (up to 3 minutes), installs
#                                     it and makes Mosquitto (PID 1) reread its users and ACL (SIGHUP).
set -eu
secret=/mosquitto/secret/passwords
target=/mosquitto/data/passwords
if [ $# -gt 0 ]; then
    waited=0
    while [ "$(sha256sum <"$secret" | cut -d' ' -f1)" != "$1" ]; do
        if [ "$waited" -ge 180 ]; then
            echo "install-passwords: $secret still differs from the file with SHA-256 $1 after ${waited} s (was the Secret replaced?); nothing changed" >&2
            exit 1
        fi
        sleep 5
        waited=$((waited + 5))
    done
fi
cp "$secret" "$target.new"
chmod 0600 "$target.new"
mv -f "$target.new" "$target"
if [ $# -gt 0 ]; then
    kill -HUP 1
    echo "install-passwords: installed $(grep -c ':' "$target") broker users; Mosquitto rereads them now (SIGHUP)"
fi
