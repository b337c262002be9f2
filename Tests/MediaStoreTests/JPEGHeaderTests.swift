import FarmIQTestSupport
import MediaStore
import Testing

@Suite struct JPEGHeaderTests {
    @Test func readsTheSizeOfARealJPEG() {
        #expect(JPEGHeader.parse(JPEGFixtures.image(width: 640, height: 480)) == JPEGHeader(width: 640, height: 480))
    }

    @Test func readsADeclaredSizeWithoutDecoding() {
        // 60000×60000 would need 3.6 GB of pixels: only the header is read.
        #expect(JPEGHeader.parse(JPEGFixtures.declaring(width: 60000, height: 60000)) == JPEGHeader(width: 60000, height: 60000))
    }

    @Test func refusesWhatIsNotAJPEG() {
        #expect(JPEGHeader.parse(Array("GIF89a not a jpeg at all".utf8)) == nil)
        #expect(JPEGHeader.parse([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) == nil)  // SOI then nothing
        #expect(JPEGHeader.parse([]) == nil)
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: 0, count: 64)
        #expect(JPEGHeader.parse(png) == nil)
        #expect(!JPEGHeader.hasStartOfImage(png))
        #expect(JPEGHeader.hasStartOfImage(JPEGFixtures.image()))
    }

    @Test func readsAHeaderFromAPrefix() {
        let image = JPEGFixtures.image(width: 512, height: 512, quality: 95)
        // The markers up to the start of scan are in the first few hundred bytes.
        #expect(JPEGHeader.parse(Array(image.prefix(1024))) == JPEGHeader(width: 512, height: 512))
    }
}
